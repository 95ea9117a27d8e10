/** The DAG layout's third stage: the order of each layer, chosen against edge crossings. Pure: no DOM. */
import type { LayerGraph } from "./dag-layer-graph.js";

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
export function orderLayers(g: LayerGraph): number[][] {
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
