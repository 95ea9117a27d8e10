import { z } from "zod";
import { LifecycleError } from "./errors.js";

/** The lifecycle states of a plan. */
export const PlanStatusSchema = z.enum([
  "draft",
  "pending_approval",
  "approved",
  "rejected",
  "expired",
  "executing",
  "completed",
  "failed",
  "cancelled",
]);
/** One of {@link PlanStatusSchema}'s values. */
export type PlanStatus = z.infer<typeof PlanStatusSchema>;

/**
 * Every legal transition, in one place. `failed`/`cancelled` may be reopened (resume) into
 * `pending_approval` or, when no approval is needed, `approved`.
 */
export const PLAN_TRANSITIONS: Readonly<Record<PlanStatus, readonly PlanStatus[]>> = {
  draft: ["pending_approval", "approved", "cancelled"],
  pending_approval: ["approved", "rejected", "expired", "cancelled"],
  approved: ["executing", "cancelled"],
  rejected: [],
  expired: [],
  executing: ["completed", "failed", "cancelled"],
  completed: [],
  failed: ["pending_approval", "approved"],
  cancelled: ["pending_approval", "approved"],
};

/** States a plan never leaves on its own (a run is over). */
export const FINISHED_PLAN_STATUSES: ReadonlySet<PlanStatus> = new Set(["rejected", "expired", "completed", "failed", "cancelled"]);

/** Whether `from → to` is a legal transition. */
export function canTransition(from: PlanStatus, to: PlanStatus): boolean {
  return PLAN_TRANSITIONS[from].includes(to);
}

/** Throws a {@link LifecycleError} naming both states unless `from → to` is legal. */
export function assertTransition(from: PlanStatus, to: PlanStatus): void {
  if (!canTransition(from, to)) throw new LifecycleError(from, to);
}
