/**
 * Lays out a plan's steps as a layered graph, left to right: a step's layer is the length of the
 * longest dependency path that leads to it, so every edge points to a later layer. Pure: no DOM.
 */

/** What the layout needs of a step. */
export interface DagInput {
  id: string;
  dependsOn: readonly string[];
}

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
}

/** Default sizes. */
export const DEFAULT_DAG_GEOMETRY: DagGeometry = { nodeWidth: 184, nodeHeight: 54, layerGap: 64, nodeGap: 18, margin: 12 };

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

/** An edge from a dependency to the step that depends on it, with its SVG path. */
export interface DagEdge {
  from: string;
  to: string;
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

/**
 * Assigns each step its layer: 0 without known dependencies, else one more than its deepest
 * dependency. Unknown dependencies are ignored; steps caught in a cycle (which a validated plan
 * never has) go one layer past the deepest other step.
 */
export function assignLayers(steps: readonly DagInput[]): Map<string, number> {
  const ids = new Set(steps.map((s) => s.id));
  const deps = new Map(steps.map((s) => [s.id, [...new Set(s.dependsOn.filter((d) => ids.has(d) && d !== s.id))]]));
  const dependents = new Map<string, string[]>(steps.map((s) => [s.id, []]));
  const waiting = new Map<string, number>();
  for (const [id, list] of deps) {
    waiting.set(id, list.length);
    for (const d of list) dependents.get(d)?.push(id);
  }
  const layer = new Map<string, number>();
  const queue = steps.filter((s) => waiting.get(s.id) === 0).map((s) => s.id);
  for (const id of queue) layer.set(id, 0);
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    const next = (layer.get(id) ?? 0) + 1;
    for (const child of dependents.get(id) ?? []) {
      layer.set(child, Math.max(layer.get(child) ?? 0, next));
      const left = (waiting.get(child) ?? 0) - 1;
      waiting.set(child, left);
      if (left === 0) queue.push(child);
    }
  }
  if (queue.length < ids.size) {
    const past = Math.max(-1, ...layer.values()) + 1;
    for (const s of steps) if (waiting.get(s.id) !== 0) layer.set(s.id, past);
  }
  return layer;
}

/**
 * Orders each layer to keep edges short: a step sits near the average position of its
 * dependencies in earlier layers (ties keep the plan's order).
 */
function orderLayers(steps: readonly DagInput[], layerOf: Map<string, number>): string[][] {
  const layers: string[][] = [];
  for (const s of steps) {
    const l = layerOf.get(s.id) ?? 0;
    (layers[l] ??= []).push(s.id);
  }
  const byId = new Map(steps.map((s) => [s.id, s]));
  const position = new Map<string, number>();
  const filled = Array.from(layers, (l) => l ?? []);
  filled.forEach((ids, l) => {
    const centre = (ids.length - 1) / 2;
    const score = (id: string, fallback: number): number => {
      const placed = (byId.get(id)?.dependsOn ?? []).map((d) => position.get(d)).filter((p): p is number => p !== undefined);
      return placed.length === 0 ? fallback : placed.reduce((a, b) => a + b, 0) / placed.length;
    };
    const ranked = ids.map((id, i) => ({ id, i, key: l === 0 ? i : score(id, i - centre) }));
    ranked.sort((a, b) => a.key - b.key || a.i - b.i);
    ids.length = 0;
    ranked.forEach((r, i) => {
      ids.push(r.id);
      position.set(r.id, i - centre);
    });
  });
  return filled;
}

/** The SVG path of an edge: a horizontal S-curve from the right side of one node to the left of another. */
export function edgePath(from: Pick<DagNode, "x" | "y" | "width" | "height">, to: Pick<DagNode, "x" | "y" | "height">): string {
  const x1 = from.x + from.width;
  const y1 = from.y + from.height / 2;
  const x2 = to.x;
  const y2 = to.y + to.height / 2;
  const bend = Math.max(24, (x2 - x1) / 2);
  return `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`;
}

/** Lays out the steps: layers by longest path, nodes centred vertically per layer, curved edges. */
export function layoutDag(steps: readonly DagInput[], geometry: DagGeometry = DEFAULT_DAG_GEOMETRY): DagLayout {
  const { nodeWidth, nodeHeight, layerGap, nodeGap, margin } = geometry;
  const layers = orderLayers(steps, assignLayers(steps));
  const tallest = Math.max(0, ...layers.map((l) => l.length));
  const columnHeight = tallest * nodeHeight + Math.max(0, tallest - 1) * nodeGap;
  const nodes: DagNode[] = [];
  const nodeOf = new Map<string, DagNode>();
  layers.forEach((ids, layer) => {
    const height = ids.length * nodeHeight + Math.max(0, ids.length - 1) * nodeGap;
    const top = margin + (columnHeight - height) / 2;
    ids.forEach((id, index) => {
      const node: DagNode = { id, layer, index, x: margin + layer * (nodeWidth + layerGap), y: top + index * (nodeHeight + nodeGap), width: nodeWidth, height: nodeHeight };
      nodes.push(node);
      nodeOf.set(id, node);
    });
  });
  const edges: DagEdge[] = [];
  for (const s of steps) {
    const to = nodeOf.get(s.id);
    for (const d of new Set(s.dependsOn)) {
      const from = nodeOf.get(d);
      if (from && to && d !== s.id) edges.push({ from: d, to: s.id, path: edgePath(from, to) });
    }
  }
  const width = layers.length === 0 ? 0 : 2 * margin + layers.length * nodeWidth + (layers.length - 1) * layerGap;
  const height = tallest === 0 ? 0 : 2 * margin + columnHeight;
  return { width, height, layers, nodes, edges };
}
