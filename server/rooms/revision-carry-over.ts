import { stepRevisionKey, type PlanData, type Step } from "../../shared/index.js";

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
    const result = step !== undefined && prior !== undefined && prior.status === "completed" && stepRevisionKey(prior) === stepRevisionKey(step) && step.dependsOn.every(kept);
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
