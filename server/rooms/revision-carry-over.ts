import type { PlanData, Step } from "../../shared/index.js";

/** JSON text of a value with object keys sorted, so that equal params compare equal whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** What a step does: a change to any of these means its result no longer holds. */
function workOf(step: Step): string {
  return canonical([step.tool, step.params, step.dependsOn, step.retry ?? null]);
}

/**
 * The revised steps with what earlier runs left: a step whose id existed keeps its attempt count
 * (so attempt numbers, and idempotency keys, never repeat), and a completed step stays completed,
 * with its result and record, when neither it nor any step it depends on (transitively) changed and
 * all of those are completed too. Every other step is pending.
 */
export function carryOver(before: PlanData, revised: readonly Step[]): Step[] {
  const old = new Map(before.steps.map((s) => [s.id, s]));
  const byId = new Map(revised.map((s) => [s.id, s]));
  const keeps = new Map<string, boolean>();
  // The revised plan is validated (no cycles, no unknown dependencies) before this runs.
  const kept = (id: string): boolean => {
    const known = keeps.get(id);
    if (known !== undefined) return known;
    const step = byId.get(id);
    const prior = old.get(id);
    const result = step !== undefined && prior !== undefined && prior.status === "completed" && workOf(prior) === workOf(step) && step.dependsOn.every(kept);
    keeps.set(id, result);
    return result;
  };
  return revised.map((step) => {
    const prior = old.get(step.id);
    if (!prior) return step;
    if (kept(step.id)) return { ...structuredClone(prior), description: step.description };
    if (prior.attempts === 0) return step;
    return { ...step, attempts: prior.attempts, priorAttempts: prior.attempts };
  });
}
