import { ExecutionOptionsSchema, type PlanData, type PlanEventData, type Step } from "../../shared/index.js";

/** What a revision changed, as `plan.revised` reports it. */
export type RevisionChanges = PlanEventData<"plan.revised">["changes"];

function stepKey(step: Step): string {
  return JSON.stringify([step.tool, step.description, step.params, step.dependsOn, step.retry ?? null]);
}

/** Compares two versions of a plan: description, option names, and steps added, removed or changed (by id). */
export function diffPlans(before: PlanData, after: PlanData): RevisionChanges {
  const options = Object.keys(ExecutionOptionsSchema.shape).filter(
    (key) => JSON.stringify(before.options[key as keyof PlanData["options"]]) !== JSON.stringify(after.options[key as keyof PlanData["options"]]),
  );
  const old = new Map(before.steps.map((s) => [s.id, s]));
  const now = new Map(after.steps.map((s) => [s.id, s]));
  const stepsAdded = after.steps.filter((s) => !old.has(s.id)).map((s) => s.id);
  const stepsRemoved = before.steps.filter((s) => !now.has(s.id)).map((s) => s.id);
  const stepsChanged = after.steps.filter((s) => old.has(s.id) && stepKey(old.get(s.id) as Step) !== stepKey(s)).map((s) => s.id);
  return { description: before.description !== after.description, options, stepsAdded, stepsRemoved, stepsChanged };
}
