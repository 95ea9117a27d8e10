/**
 * Lays out a plan's steps as a layered graph, left to right (the Sugiyama way): a step's layer is
 * the length of the longest dependency path that leads to it, so every edge points to a later
 * layer. An edge that skips layers gets a waypoint in each layer it passes through; waypoints are
 * ordered and placed with the nodes, as thin slots the nodes make room for, so an edge never runs
 * behind a node. Pure: no DOM.
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
export interface DagRun {
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
 * The graph that gets ordered and placed: real steps plus virtual waypoints, with links only
 * between consecutive layers. Items are numbered; steps come first, in plan order.
 */
interface LayerGraph {
  /** Step id of each item, undefined for a waypoint. */
  ids: (string | undefined)[];
  layerOf: number[];
  preds: number[][];
  succs: number[][];
  /** Item numbers per layer, in the starting order. */
  layers: number[][];
  /**
   * Edges between steps; one that skips layers runs through `bundle[first..last]`, the waypoints it
   * shares with the other edges of its bundle.
   */
  edges: { from: number; to: number; bundle: number[]; first: number; last: number }[];
}

/**
 * Builds the layered graph. Long edges that leave the same step share their waypoints (as do those
 * that enter the same step, whichever end has more of them), like wires in a bundle: a fan-out
 * from one step then costs one waypoint per layer, not one per edge and layer, and a waypoint is
 * never both where edges merge and where they split, so no route can be misread.
 */
function buildGraph(steps: readonly DagInput[], layerOfId: Map<string, number>): LayerGraph {
  const ids: (string | undefined)[] = [];
  const layerOf: number[] = [];
  const itemOf = new Map<string, number>();
  for (const s of steps) {
    if (itemOf.has(s.id)) continue;
    itemOf.set(s.id, ids.length);
    ids.push(s.id);
    layerOf.push(layerOfId.get(s.id) ?? 0);
  }
  const pairs: { from: number; to: number }[] = [];
  for (const s of steps) {
    const to = itemOf.get(s.id)!;
    for (const d of new Set(s.dependsOn)) {
      const from = itemOf.get(d);
      if (from !== undefined && from !== to) pairs.push({ from, to });
    }
  }
  const isLong = (p: { from: number; to: number }): boolean => layerOf[p.to]! - layerOf[p.from]! > 1;
  const longOut = new Map<number, number>();
  const longIn = new Map<number, number>();
  for (const p of pairs.filter(isLong)) {
    longOut.set(p.from, (longOut.get(p.from) ?? 0) + 1);
    longIn.set(p.to, (longIn.get(p.to) ?? 0) + 1);
  }
  // Each bundle is keyed by its shared end (+item for fan-out, -item-1 for fan-in) and spans the layers of its edges.
  const bundleOf = (p: { from: number; to: number }): number => ((longOut.get(p.from) ?? 0) >= (longIn.get(p.to) ?? 0) ? p.from : -p.to - 1);
  const spans = new Map<number, { first: number; last: number; nodes: number[] }>();
  for (const p of pairs) {
    if (!isLong(p)) continue;
    const key = bundleOf(p);
    const first = layerOf[p.from]! + 1;
    const last = layerOf[p.to]! - 1;
    const span = spans.get(key);
    if (span) {
      span.first = Math.min(span.first, first);
      span.last = Math.max(span.last, last);
    } else spans.set(key, { first, last, nodes: [] });
  }
  const preds: number[][] = ids.map(() => []);
  const succs: number[][] = ids.map(() => []);
  const linked = new Set<string>();
  const link = (a: number, b: number): void => {
    const key = `${a}>${b}`;
    if (linked.has(key)) return;
    linked.add(key);
    succs[a]!.push(b);
    preds[b]!.push(a);
  };
  for (const span of spans.values()) {
    for (let l = span.first; l <= span.last; l++) {
      const item = ids.length;
      ids.push(undefined);
      layerOf.push(l);
      preds.push([]);
      succs.push([]);
      if (span.nodes.length > 0) link(span.nodes[span.nodes.length - 1]!, item);
      span.nodes.push(item);
    }
  }
  const edges: LayerGraph["edges"] = [];
  for (const p of pairs) {
    const lf = layerOf[p.from]!;
    const lt = layerOf[p.to]!;
    if (lt - lf === 1) link(p.from, p.to);
    if (lt - lf <= 1) {
      edges.push({ ...p, bundle: [], first: 0, last: -1 });
      continue;
    }
    const span = spans.get(bundleOf(p))!;
    const first = lf + 1 - span.first;
    const last = lt - 1 - span.first;
    link(p.from, span.nodes[first]!);
    link(span.nodes[last]!, p.to);
    edges.push({ ...p, bundle: span.nodes, first, last });
  }
  const layers: number[][] = [];
  for (let i = 0; i < ids.length; i++) (layers[layerOf[i]!] ??= []).push(i);
  return { ids, layerOf, preds, succs, layers: Array.from(layers, (l) => l ?? []), edges };
}

/** Counts the crossings between consecutive layers (sorted edge list, inversions counted with a Fenwick tree). */
function countCrossings(g: LayerGraph, layers: number[][], position: Int32Array): number {
  let total = 0;
  for (let l = 0; l + 1 < layers.length; l++) {
    const size = layers[l + 1]!.length;
    const tree = new Int32Array(size + 1);
    let seen = 0;
    for (const u of layers[l]!) {
      const targets = g.succs[u]!.map((v) => position[v]!).sort((a, b) => a - b);
      for (const p of targets) {
        let below = 0;
        for (let i = p + 1; i > 0; i -= i & -i) below += tree[i]!;
        total += seen - below;
        for (let i = p + 1; i <= size; i += i & -i) tree[i]!++;
        seen++;
      }
    }
  }
  return total;
}

/**
 * Orders each layer to avoid crossings: sweeps down then up, putting each item at the average
 * position of its neighbours in the layer just swept (ties and items without such neighbours keep
 * their place), and keeps the order with the fewest crossings. Layer 0 starts in plan order.
 */
function orderLayers(g: LayerGraph): number[][] {
  const layers = g.layers.map((l) => [...l]);
  const position = new Int32Array(g.ids.length);
  const centred = (item: number): number => position[item]! - (layers[g.layerOf[item]!]!.length - 1) / 2;
  for (const layer of layers) layer.forEach((item, i) => (position[item] = i));
  const sortLayer = (layer: number[], neighbours: number[][]): void => {
    const ranked = layer.map((item, i) => {
      const list = neighbours[item]!;
      let key = i - (layer.length - 1) / 2;
      if (list.length > 0) key = list.reduce((sum, n) => sum + centred(n), 0) / list.length;
      return { item, i, key };
    });
    ranked.sort((a, b) => a.key - b.key || a.i - b.i);
    ranked.forEach((r, i) => {
      layer[i] = r.item;
      position[r.item] = i;
    });
  };
  const sweep = (down: boolean): void => {
    if (down) for (let l = 1; l < layers.length; l++) sortLayer(layers[l]!, g.preds);
    else for (let l = layers.length - 2; l >= 0; l--) sortLayer(layers[l]!, g.succs);
  };
  sweep(true);
  let best = layers.map((l) => [...l]);
  let fewest = countCrossings(g, layers, position);
  for (let round = 0, stale = 0; round < 12 && fewest > 0 && stale < 4; round++) {
    sweep(round % 2 === 1);
    const crossings = countCrossings(g, layers, position);
    if (crossings < fewest) {
      fewest = crossings;
      best = layers.map((l) => [...l]);
      stale = 0;
    } else stale++;
  }
  return best;
}

/**
 * Places the items of one layer as close as possible to where they want to be (least weighted
 * squares), in their order and at least their separations apart: pool-adjacent-violators on the
 * positions less their cumulative separations, linear in the layer's size.
 */
function placeLayer(layer: number[], want: Float64Array, weight: Float64Array, gap: (a: number, b: number) => number, centre: Float64Array): void {
  const blocks: { weight: number; sum: number; size: number }[] = [];
  const offset: number[] = [];
  let acc = 0;
  layer.forEach((item, i) => {
    if (i > 0) acc += gap(layer[i - 1]!, item);
    offset.push(acc);
    const w = weight[item]!;
    let block = { weight: w, sum: w * (want[item]! - acc), size: 1 };
    while (blocks.length > 0 && blocks[blocks.length - 1]!.sum / blocks[blocks.length - 1]!.weight >= block.sum / block.weight) {
      const prev = blocks.pop()!;
      block = { weight: prev.weight + block.weight, sum: prev.sum + block.sum, size: prev.size + block.size };
    }
    blocks.push(block);
  });
  let i = 0;
  for (const block of blocks) {
    const base = block.sum / block.weight;
    for (let k = 0; k < block.size; k++, i++) centre[layer[i]!] = base + offset[i]!;
  }
}

/**
 * Places items vertically: each layer in turn, down then up, moves its items towards the weighted
 * average height of their neighbours (block coordinate descent on the squared edge slopes), links
 * between waypoints weighing most so that long edges run straight. Returns each item's centre.
 */
function placeItems(g: LayerGraph, layers: number[][], gap: (a: number, b: number) => number): Float64Array {
  const n = g.ids.length;
  const centre = new Float64Array(n);
  for (const layer of layers) {
    let y = 0;
    layer.forEach((item, i) => {
      if (i > 0) y += gap(layer[i - 1]!, item);
      centre[item] = y;
    });
    for (const item of layer) centre[item]! -= y / 2;
  }
  const virtual = (item: number): boolean => g.ids[item] === undefined;
  const linkWeight = (a: number, b: number): number => (virtual(a) && virtual(b) ? 8 : virtual(a) || virtual(b) ? 2 : 1);
  const want = new Float64Array(n);
  const weight = new Float64Array(n);
  const relax = (layer: number[]): void => {
    for (const item of layer) {
      let w = 1e-3;
      let sum = w * centre[item]!;
      for (const list of [g.preds[item]!, g.succs[item]!]) {
        for (const other of list) {
          const lw = linkWeight(item, other);
          w += lw;
          sum += lw * centre[other]!;
        }
      }
      want[item] = sum / w;
      weight[item] = w;
    }
    placeLayer(layer, want, weight, gap, centre);
  };
  const rounds = layers.length <= 1 ? 0 : 12;
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) for (let l = 0; l < layers.length; l++) relax(layers[l]!);
    else for (let l = layers.length - 1; l >= 0; l--) relax(layers[l]!);
  }
  return centre;
}

/**
 * The SVG path of an edge: from the middle of the right side of one node to the middle of the left
 * side of another, as horizontal S-curves between layers and straight runs through the `via` points.
 */
export function edgePath(
  from: Pick<DagNode, "x" | "y" | "width" | "height">,
  to: Pick<DagNode, "x" | "y" | "height">,
  via: readonly Pick<DagRun, "x" | "y" | "width">[] = [],
): string {
  let x1 = from.x + from.width;
  let y1 = from.y + from.height / 2;
  let d = `M ${x1} ${y1}`;
  const curve = (x2: number, y2: number): void => {
    const bend = Math.max(24, (x2 - x1) / 2);
    d += ` C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`;
  };
  for (const p of via) {
    curve(p.x, p.y);
    x1 = p.x + p.width;
    y1 = p.y;
    d += ` L ${x1} ${y1}`;
  }
  curve(to.x, to.y + to.height / 2);
  return d;
}

/** Lays out the steps: layers by longest path, ordered against crossings, placed to keep edges level, edges routed around nodes. */
export function layoutDag(steps: readonly DagInput[], geometry: DagGeometry = DEFAULT_DAG_GEOMETRY): DagLayout {
  const { nodeWidth, nodeHeight, layerGap, nodeGap, margin } = geometry;
  const edgeGap = geometry.edgeGap ?? DEFAULT_DAG_GEOMETRY.edgeGap;
  if (steps.length === 0) return { width: 0, height: 0, layers: [], nodes: [], edges: [] };
  const g = buildGraph(steps, assignLayers(steps));
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
