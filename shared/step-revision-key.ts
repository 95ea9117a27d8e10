/** What decides whether a step changed between two versions of a plan. Pure. */
import { canonicalJson } from "./canonical-json.js";
import type { Step } from "./step.js";

/**
 * A step's work as text: its tool, params, dependencies and retry policy, as canonical JSON (so
 * params whose keys are only reordered give the same key). Two versions of a step with the same
 * key do the same thing: a completed result still holds. The description is not part of it (it
 * changes what reviewers read, not what runs: a revision's diff compares it on its own).
 */
export function stepRevisionKey(step: Pick<Step, "tool" | "params" | "dependsOn" | "retry">): string {
  return canonicalJson([step.tool, step.params, step.dependsOn, step.retry ?? null]);
}
