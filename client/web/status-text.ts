/** Words and colours of plan and step statuses, the same everywhere in the dashboard. Pure. */
import type { PlanStatus, StepStatus } from "../../shared/index.js";
import type { BarState } from "./timeline-layout.js";

/** How a plan status reads. */
export const PLAN_STATUS_LABEL: Readonly<Record<PlanStatus, string>> = {
  draft: "Draft",
  pending_approval: "Pending approval",
  approved: "Approved",
  rejected: "Rejected",
  expired: "Expired",
  executing: "Running",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
};

/** How a step (or timeline bar) status reads. */
export const STEP_STATUS_LABEL: Readonly<Record<StepStatus | BarState, string>> = {
  pending: "Pending",
  queued: "Queued",
  running: "Running",
  completed: "Done",
  failed: "Failed",
  skipped: "Skipped",
  cancelled: "Cancelled",
};

/** The CSS class that colours a status (see `styles.css`: `.status-completed` …). */
export function statusClass(status: PlanStatus | StepStatus | BarState): string {
  return `status-${status.replace("_", "-")}`;
}
