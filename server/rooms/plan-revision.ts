import { canonicalJson, ExecutionOptionsSchema, stepRevisionKey, type PlanData, type PlanEventData, type Step } from "../../shared/index.js";

/** What a revision changed, as `plan.revised` reports it. */
export type RevisionChanges = PlanEventData<"plan.revised">["changes"];

/** Whether a reviewer reads a different step: its work changed (`stepRevisionKey`) or its description did. */
function stepChanged(before: Step, after: Step): boolean {
  return before.description !== after.description || stepRevisionKey(before) !== stepRevisionKey(after);
}

/**
 * Compares two versions of a plan: description, option names, and steps added, removed or changed
 * (by id; params whose keys are only reordered are not a change, a new description is).
 */
export function diffPlans(before: PlanData, after: PlanData): RevisionChanges {
  const options = Object.keys(ExecutionOptionsSchema.shape).filter(
    (key) => canonicalJson(before.options[key as keyof PlanData["options"]]) !== canonicalJson(after.options[key as keyof PlanData["options"]]),
  );
  const old = new Map(before.steps.map((s) => [s.id, s]));
  const now = new Map(after.steps.map((s) => [s.id, s]));
  const stepsAdded = after.steps.filter((s) => !old.has(s.id)).map((s) => s.id);
  const stepsRemoved = before.steps.filter((s) => !now.has(s.id)).map((s) => s.id);
  const stepsChanged = after.steps.filter((s) => old.has(s.id) && stepChanged(old.get(s.id) as Step, s)).map((s) => s.id);
  return { description: before.description !== after.description, options, stepsAdded, stepsRemoved, stepsChanged };
}
