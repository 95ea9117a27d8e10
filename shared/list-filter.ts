/** Whether a plan shows in a filtered plans list (`plans:list`, `plans:watch`, the dashboard's chips). Pure. */
import type { PlanStatus } from "./lifecycle.js";
import type { PlanListFilter } from "./protocol.js";

/** What the filter looks at: a list row, or a plan's state (`{ plan, submittedBy }`). */
export type ListFilterSubject = { status: PlanStatus; submittedBy: { id: string }; createdAt?: number } | { plan: { status: PlanStatus; createdAt?: number }; submittedBy: { id: string } };

/**
 * Whether a row or a state passes a list filter: its status is the filter's status (or one of
 * them), its submitter is the filter's `submittedBy`, and it was created within `createdFrom` /
 * `createdBefore` (a subject without `createdAt` fails a time bound); an absent field lets every
 * plan through. `mayVote` is not checked here: it needs the plan's policy and the caller, and the
 * server applies it.
 */
export function matchesListFilter(subject: ListFilterSubject, filter: Readonly<PlanListFilter>): boolean {
  if (filter.submittedBy !== undefined && subject.submittedBy.id !== filter.submittedBy) return false;
  if (filter.status !== undefined) {
    const status = "plan" in subject ? subject.plan.status : subject.status;
    const wanted: readonly PlanStatus[] = Array.isArray(filter.status) ? filter.status : [filter.status];
    if (!wanted.includes(status)) return false;
  }
  if (filter.createdFrom !== undefined || filter.createdBefore !== undefined) {
    const createdAt = "plan" in subject ? subject.plan.createdAt : subject.createdAt;
    if (createdAt === undefined) return false;
    if (filter.createdFrom !== undefined && createdAt < filter.createdFrom) return false;
    if (filter.createdBefore !== undefined && createdAt >= filter.createdBefore) return false;
  }
  return true;
}
