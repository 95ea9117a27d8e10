/**
 * The first stage of the DAG layout: each step's layer is the length of the longest dependency path
 * that leads to it, so every edge points to a later layer. Pure: no DOM.
 */

/** What the layout needs of a step. */
export interface DagInput {
  id: string;
  dependsOn: readonly string[];
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
