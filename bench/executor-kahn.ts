import type { GraphNode } from "./executor-graphs.js";

/**
 * The floor of the executor benchmark: a minimal Kahn scheduler over promises with a concurrency
 * limit, and nothing else (no events, no state, no timeouts). Resolves when every node has run.
 */
export function runKahn(nodes: readonly GraphNode[], concurrency: number, task: () => Promise<unknown>): Promise<void> {
  const n = nodes.length;
  const index = new Map<string, number>();
  nodes.forEach((node, i) => index.set(node.id, i));
  const indegree = new Int32Array(n);
  const dependents: number[][] = nodes.map(() => []);
  nodes.forEach((node, i) => {
    indegree[i] = node.dependsOn.length;
    for (const dep of node.dependsOn) dependents[index.get(dep)!]!.push(i);
  });
  const queue: number[] = [];
  for (let i = 0; i < n; i++) if (indegree[i] === 0) queue.push(i);
  let head = 0;
  let running = 0;
  let done = 0;
  return new Promise((resolve) => {
    if (n === 0) return resolve();
    const pump = (): void => {
      while (running < concurrency && head < queue.length) {
        const i = queue[head++]!;
        running++;
        void task().then(() => {
          running--;
          done++;
          for (const d of dependents[i]!) if (--indegree[d]! === 0) queue.push(d);
          if (done === n) resolve();
          else pump();
        });
      }
    };
    pump();
  });
}
