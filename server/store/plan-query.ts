import {
  FINISHED_PLAN_STATUSES,
  isNamedReviewer,
  mayVote,
  type ApprovalPolicy,
  type PlanListItem,
  type PlanStatus,
  type Principal,
  type Role,
} from "../../shared/index.js";

/**
 * One plan as the plan index holds it: its list row (what `plans:list` shows), kept up to date from
 * its events alone, and the policy that decides who may see it and vote on it. A SQL store keeps
 * the same columns in a table, updated in the append's transaction.
 */
interface IndexedPlan {
  row: PlanListItem;
  policy: ApprovalPolicy;
}

/**
 * What the index filters and orders plans by: a few columns of the row, the submitter and the
 * policy. A SQL store has them as indexed columns; the embedded store keeps them in memory for
 * every plan, and the rest of the row on disk.
 */
export interface PlanKeys {
  readonly id: string;
  readonly createdAt: number;
  status: PlanStatus;
  version: number;
  seq: number;
  submittedBy: { id: string; name: string };
  policy: ApprovalPolicy;
}

/** The keys of a plan's list row under its policy. */
export function planKeys(row: PlanListItem, policy: ApprovalPolicy): PlanKeys {
  return { id: row.id, createdAt: row.createdAt, status: row.status, version: row.version, seq: row.seq, submittedBy: row.submittedBy, policy };
}

/** A position in the index's order (newest first: `createdAt` descending, then `id` ascending). */
export interface PlanPosition {
  createdAt: number;
  id: string;
}

/**
 * A query of the plan index: every condition given must hold; rows come newest first, strictly after
 * `after`, at most `limit`. Each condition maps to a SQL predicate on indexed columns:
 *
 * - `status`: `status = ANY($1)`;
 * - `submittedBy`: `submitter_id = $1`;
 * - `visibleTo`: who may see the plan — the submitter, admins and observers, and reviewers the
 *   policy names (`submitter_id = $id OR $isAdminOrObserver OR reviewers && $idAndRoles`);
 * - `votableBy`: plans pending approval that the principal may vote on (`mayVote`: a voter role,
 *   named by the policy, not its own plan unless self-approval is allowed);
 * - `createdFrom` / `createdBefore`: `created_at >= $1` / `created_at < $1`;
 * - `after`: keyset paging, `(created_at, id) < ($1, $2)` in the index's order.
 */
export interface PlanQuery {
  status?: readonly PlanStatus[];
  submittedBy?: string;
  visibleTo?: Pick<Principal, "id" | "roles">;
  votableBy?: { principal: Pick<Principal, "id" | "roles">; voterRoles: readonly Role[] };
  createdFrom?: number;
  createdBefore?: number;
  after?: PlanPosition;
  limit: number;
}

/** One page of a {@link PlanQuery}: the rows, and where the next page starts when there is one. */
export interface PlanPage {
  plans: IndexedPlan[];
  next?: PlanPosition;
}

/** The statuses of plans that are not finished: their rooms stay in memory and are restored at start. */
export const LIVE_PLAN_STATUSES: readonly PlanStatus[] = ["draft", "pending_approval", "approved", "executing"];

/** Whether a plan in this status is live (not finished). */
export function isLiveStatus(status: PlanStatus): boolean {
  return !FINISHED_PLAN_STATUSES.has(status);
}

/** Order of the index: newest first, ties by id. Negative when `a` comes first. */
export function comparePositions(a: PlanPosition, b: PlanPosition): number {
  return b.createdAt - a.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Whether a principal may see a plan: its submitter, admins, observers, and the reviewers its policy names. */
export function maySeePlan(plan: { submittedBy: { id: string }; policy: Pick<ApprovalPolicy, "reviewers"> }, principal: Pick<Principal, "id" | "roles">): boolean {
  return plan.submittedBy.id === principal.id || principal.roles.includes("admin") || principal.roles.includes("observer") || isNamedReviewer(principal, plan.policy);
}

/** Whether a plan meets every condition of the query except paging (`after`, `limit`). */
export function matchesPlanQuery(plan: PlanKeys, query: PlanQuery): boolean {
  if (query.status !== undefined && !query.status.includes(plan.status)) return false;
  if (query.submittedBy !== undefined && plan.submittedBy.id !== query.submittedBy) return false;
  if (query.createdFrom !== undefined && plan.createdAt < query.createdFrom) return false;
  if (query.createdBefore !== undefined && plan.createdAt >= query.createdBefore) return false;
  if (query.visibleTo && !maySeePlan(plan, query.visibleTo)) return false;
  if (query.votableBy) {
    const subject = { plan: { status: plan.status, version: plan.version }, policy: plan.policy, submittedBy: plan.submittedBy };
    if (!mayVote(query.votableBy.principal, subject, query.votableBy.voterRoles).allowed) return false;
  }
  return true;
}

/** Checks a query's limit (a positive integer): a store's own guard, the commands check theirs first. */
export function assertQueryLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`a plan query's limit must be a positive integer, got ${String(limit)}`);
}
