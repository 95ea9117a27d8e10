/** The DAG layout's second stage: steps plus the waypoints of edges that skip layers, linked layer to layer. Pure: no DOM. */
import type { DagInput } from "./dag-layering.js";

/**
 * The graph that gets ordered and placed: real steps plus virtual waypoints, with links only
 * between consecutive layers. Items are numbered; steps come first, in plan order.
 */
export interface LayerGraph {
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
export function buildLayerGraph(steps: readonly DagInput[], layerOfId: Map<string, number>): LayerGraph {
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
