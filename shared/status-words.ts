/** How plan and step statuses read to people, the same in the CLI, the dashboard and plan texts. Pure. */
import type { PlanStatus } from "./lifecycle.js";
import type { StepStatus } from "./step.js";

/** The word (lower case) for each plan status: `pending approval`, `running`… */
export const PLAN_STATUS_WORDS: Readonly<Record<PlanStatus, string>> = {
  draft: "draft",
  pending_approval: "pending approval",
  approved: "approved",
  rejected: "rejected",
  expired: "expired",
  executing: "running",
  completed: "completed",
  failed: "failed",
  cancelled: "cancelled",
};

/** The word (lower case) for each step status: `pending`, `running`, `done`… */
export const STEP_STATUS_WORDS: Readonly<Record<StepStatus, string>> = {
  pending: "pending",
  running: "running",
  completed: "done",
  failed: "failed",
  skipped: "skipped",
  cancelled: "cancelled",
};

/** A status word with its first letter in capitals, for a label or the start of a sentence: `Pending approval`. */
export function capitalised(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
