import { diffPlans, type PlanData, type PlanEventData } from "../../shared/index.js";

/** What a revision changed, as `plan.revised` reports it. */
export type RevisionChanges = PlanEventData<"plan.revised">["changes"];

/**
 * The `changes` of a `plan.revised` event: whether the description changed, the names of the
 * options that did, and the ids of steps added, removed or changed (see the shared `diffPlans`).
 */
export function revisionChanges(before: PlanData, after: PlanData): RevisionChanges {
  const diff = diffPlans(before, after);
  return {
    description: diff.description !== undefined,
    options: diff.options.map((o) => o.key),
    stepsAdded: diff.stepsAdded,
    stepsRemoved: diff.stepsRemoved,
    stepsChanged: diff.stepsChanged.map((s) => s.id),
  };
}
