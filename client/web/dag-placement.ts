/** The DAG layout's fourth stage: the heights of nodes and waypoints, chosen to keep edges level. Pure: no DOM. */
import type { LayerGraph } from "./dag-layer-graph.js";

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
export function placeItems(g: LayerGraph, layers: number[][], gap: (a: number, b: number) => number): Float64Array {
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
