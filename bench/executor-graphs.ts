/** The DAG shapes of the executor benchmark, as plain step lists (id + dependencies). */
import { seededRandom } from "../test/support/seeded-random.js";

/** One node of a benchmark graph. */
export interface GraphNode {
  id: string;
  dependsOn: string[];
}

/** The benchmark's graph shapes. */
export type GraphShape = "chain" | "fan-out" | "random";

/** Every shape, in table order. */
export const GRAPH_SHAPES: readonly GraphShape[] = ["chain", "fan-out", "random"];

/**
 * Builds a graph of `n` nodes: `chain` (each node depends on the one before), `fan-out` (one root,
 * every other node depends on it), `random` (each node depends on up to 3 distinct earlier ones).
 */
export function buildGraph(shape: GraphShape, n: number): GraphNode[] {
  const nodes: GraphNode[] = [];
  const next = seededRandom(42);
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
