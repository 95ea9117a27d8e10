/** The DAG shapes of the executor benchmark, as plain step lists (id + dependencies). */

/** One node of a benchmark graph. */
export interface GraphNode {
  id: string;
  dependsOn: string[];
}

/** The benchmark's graph shapes. */
export type GraphShape = "chain" | "fan-out" | "random";

/** Every shape, in table order. */
export const GRAPH_SHAPES: readonly GraphShape[] = ["chain", "fan-out", "random"];

/** A small deterministic PRNG (mulberry32), so every run measures the same graphs. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Builds a graph of `n` nodes: `chain` (each node depends on the one before), `fan-out` (one root,
 * every other node depends on it), `random` (each node depends on up to 3 distinct earlier ones).
 */
export function buildGraph(shape: GraphShape, n: number): GraphNode[] {
  const nodes: GraphNode[] = [];
  const next = random(42);
  for (let i = 0; i < n; i++) {
    const id = `s${i}`;
    let dependsOn: string[] = [];
    if (shape === "chain") dependsOn = i > 0 ? [`s${i - 1}`] : [];
    else if (shape === "fan-out") dependsOn = i > 0 ? ["s0"] : [];
    else if (i > 0) {
      const wanted = Math.floor(next() * 4); // 0..3
      const picked = new Set<number>();
      for (let k = 0; k < wanted; k++) picked.add(Math.floor(next() * i));
      dependsOn = [...picked].map((d) => `s${d}`);
    }
    nodes.push({ id, dependsOn });
  }
  return nodes;
}
