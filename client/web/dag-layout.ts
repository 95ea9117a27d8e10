/**
 * Lays out a plan's steps as a layered graph, left to right (the Sugiyama way): a step's layer is
 * the length of the longest dependency path that leads to it, so every edge points to a later
 * layer. An edge that skips layers gets a waypoint in each layer it passes through; waypoints are
 * ordered and placed with the nodes, as thin slots the nodes make room for, so an edge never runs
 * behind a node. Pure: no DOM. The stages have their own files: `dag-layering.ts` (layers),
 * `dag-layer-graph.ts` (waypoints), `dag-layer-order.ts` (crossings), `dag-placement.ts` (heights)
 * and `dag-edge-path.ts` (SVG paths).
 */
import { edgePath } from "./dag-edge-path.js";
import { buildLayerGraph } from "./dag-layer-graph.js";
import { orderLayers } from "./dag-layer-order.js";
import { assignLayers, type DagInput } from "./dag-layering.js";
import { placeItems } from "./dag-placement.js";

/** Sizes of the drawing, in SVG units. */
export interface DagGeometry {
  nodeWidth: number;
  nodeHeight: number;
  /** Horizontal gap between layers. */
  layerGap: number;
  /** Vertical gap between nodes of one layer. */
  nodeGap: number;
  /** Empty border around the drawing. */
  margin: number;
  /** Vertical room kept on each side of an edge passing through a layer (default 14). */
  edgeGap?: number;
}

/** Default sizes. */
export const DEFAULT_DAG_GEOMETRY: Required<DagGeometry> = { nodeWidth: 184, nodeHeight: 54, layerGap: 64, nodeGap: 18, margin: 12, edgeGap: 14 };

/** A placed node: its layer, its place in the layer, and its top-left corner. */
export interface DagNode {
  id: string;
  layer: number;
  index: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * A straight stretch of an edge through the columns of layers it skips, `fromLayer` to `toLayer`:
 * a horizontal run from `x` to `x + width` at height `y`, clear of every node in those layers.
 */
interface DagRun {
  fromLayer: number;
  toLayer: number;
  x: number;
  y: number;
  width: number;
}

/** An edge from a dependency to the step that depends on it, with its SVG path. */
interface DagEdge {
  from: string;
  to: string;
  /** The edge's runs through the layers between its ends, left to right (empty for adjacent layers). */
  via: DagRun[];
  path: string;
}

/** A full layout. */
export interface DagLayout {
  width: number;
  height: number;
  /** Step ids per layer, in drawing order. */
  layers: string[][];
  nodes: DagNode[];
  edges: DagEdge[];
}

/** Lays out the steps: layers by longest path, ordered against crossings, placed to keep edges level, edges routed around nodes. */
export function layoutDag(steps: readonly DagInput[], geometry: DagGeometry = DEFAULT_DAG_GEOMETRY): DagLayout {
  const { nodeWidth, nodeHeight, layerGap, nodeGap, margin } = geometry;
  const edgeGap = geometry.edgeGap ?? DEFAULT_DAG_GEOMETRY.edgeGap;
  if (steps.length === 0) return { width: 0, height: 0, layers: [], nodes: [], edges: [] };
  const g = buildLayerGraph(steps, assignLayers(steps));
  const order = orderLayers(g);
  const real = (item: number): boolean => g.ids[item] !== undefined;
  const height = (item: number): number => (real(item) ? nodeHeight : 0);
  const gap = (a: number, b: number): number => (height(a) + height(b)) / 2 + (real(a) && real(b) ? nodeGap : edgeGap);
  const centre = placeItems(g, order, gap);
  let top = Infinity;
  for (let i = 0; i < centre.length; i++) top = Math.min(top, centre[i]! - height(i) / 2);
  // Tops rounded after one shift: rounding is monotonic, so whole-unit separations survive it.
  const y = (item: number): number => Math.round(centre[item]! - height(item) / 2 - top + margin);
  const columnX = (layer: number): number => margin + layer * (nodeWidth + layerGap);
  const nodes: DagNode[] = [];
  const nodeOf = new Map<number, DagNode>();
  let bottom = 0;
  order.forEach((layer, l) => {
    let index = 0;
    for (const item of layer) {
      bottom = Math.max(bottom, y(item) + height(item));
      const id = g.ids[item];
      if (id === undefined) continue;
      const node: DagNode = { id, layer: l, index: index++, x: columnX(l), y: y(item), width: nodeWidth, height: nodeHeight };
      nodes.push(node);
      nodeOf.set(item, node);
    }
  });
  // A bundle's waypoints at one height in a row make one run; an edge takes the runs over its part of the bundle.
  const runsOf = new Map<number[], { start: number; end: number; y: number }[]>();
  const runs = (bundle: number[]): { start: number; end: number; y: number }[] => {
    let list = runsOf.get(bundle);
    if (!list) {
      list = [];
      bundle.forEach((item, i) => {
        const last = list![list!.length - 1];
        if (last && last.y === y(item)) last.end = i;
        else list!.push({ start: i, end: i, y: y(item) });
      });
      runsOf.set(bundle, list);
    }
    return list;
  };
  const edges: DagEdge[] = g.edges.map((e) => {
    const via: DagRun[] = [];
    if (e.first <= e.last) {
      const list = runs(e.bundle);
      const base = g.layerOf[e.bundle[0]!]!;
      let lo = 0;
      for (let hi = list.length - 1; lo < hi; ) {
        const mid = (lo + hi + 1) >> 1;
        if (list[mid]!.start <= e.first) lo = mid;
        else hi = mid - 1;
      }
      for (let r = lo; r < list.length && list[r]!.start <= e.last; r++) {
        const run = list[r]!;
        const fromLayer = base + Math.max(run.start, e.first);
        const toLayer = base + Math.min(run.end, e.last);
        via.push({ fromLayer, toLayer, x: columnX(fromLayer), y: run.y, width: columnX(toLayer) + nodeWidth - columnX(fromLayer) });
      }
    }
    return { from: g.ids[e.from]!, to: g.ids[e.to]!, via, path: edgePath(nodeOf.get(e.from)!, nodeOf.get(e.to)!, via) };
  });
  const width = 2 * margin + order.length * nodeWidth + (order.length - 1) * layerGap;
  return { width, height: bottom + margin, layers: order.map((layer) => layer.flatMap((item) => g.ids[item] ?? [])), nodes, edges };
}
