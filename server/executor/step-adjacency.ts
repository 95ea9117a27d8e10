import { stepIndexOf, type ExecutionPlan, type StepGraph } from "../../shared/index.js";

/** A plan's dependencies and dependents as compressed adjacency arrays (CSR), by step position. */
export interface StepAdjacency {
  /** Step `i`'s dependencies are `depList[depStart[i]]` up to (not including) `depList[depStart[i + 1]]`. */
  depStart: Int32Array;
  depList: Int32Array;
  /** Step `i`'s dependents are `outList[outStart[i]]` up to (not including) `outList[outStart[i + 1]]`. */
  outStart: Int32Array;
  outList: Int32Array;
  /** 1 where a step's params hold a `$ref`; undefined when not known (look at every step). */
  withRefs: Uint8Array | undefined;
}

/**
 * Builds the adjacency of a validated plan in O(steps + edges), reusing validation's lookups when
 * its graph is given (else one index lookup per edge).
 */
export function stepAdjacency(plan: ExecutionPlan, graph?: StepGraph): StepAdjacency {
  const steps = plan.steps;
  const n = steps.length;
  let depStart: Int32Array;
  let depList: Int32Array;
  let withRefs: Uint8Array | undefined;
  if (graph && graph.depStart.length === n + 1) {
    ({ depStart, depIndex: depList, hasRefs: withRefs } = graph);
  } else {
    let edges = 0;
    for (let i = 0; i < n; i++) edges += steps[i]!.dependsOn.length;
    depStart = new Int32Array(n + 1);
    depList = new Int32Array(edges);
    for (let i = 0, k = 0; i < n; i++) {
      depStart[i] = k;
      const deps = steps[i]!.dependsOn;
      for (let j = 0; j < deps.length; j++) depList[k++] = stepIndexOf(plan, deps[j]!);
    }
    depStart[n] = edges;
  }
  const edges = depList.length;
  const outStart = new Int32Array(n + 1);
  for (let k = 0; k < edges; k++) outStart[depList[k]! + 1]!++;
  for (let i = 0; i < n; i++) outStart[i + 1]! += outStart[i]!;
  const fill = outStart.slice(0, n);
  const outList = new Int32Array(edges);
  for (let i = 0; i < n; i++) {
    for (let k = depStart[i]!; k < depStart[i + 1]!; k++) outList[fill[depList[k]!]!++] = i;
  }
  return { depStart, depList, outStart, outList, withRefs };
}
