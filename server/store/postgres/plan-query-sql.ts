import type { QueryConfig } from "pg";
import { hasVoterRole } from "../../../shared/index.js";
import type { PlanQuery } from "../plan-query.js";

/**
 * The SELECT of one {@link PlanQuery} page over the `plans` table, as `plan-query.ts` maps each
 * condition to a predicate on indexed columns; newest first (`created_at` descending, `plan_id`
 * ascending), one row more than the limit so that the caller knows whether a next page exists.
 * Undefined when the query cannot match anything (a `votableBy` principal without a voter role).
 */
export function planQueryStatement(query: PlanQuery): QueryConfig | undefined {
  const values: unknown[] = [];
  const param = (value: unknown): string => `$${values.push(value)}`;
  const where = ["head_seq > 0"];
  if (query.status !== undefined) where.push(`status = ANY(${param([...query.status])}::text[])`);
  if (query.submittedBy !== undefined) where.push(`submitter_id = ${param(query.submittedBy)}`);
  if (query.createdFrom !== undefined) where.push(`created_at >= ${param(query.createdFrom)}`);
  if (query.createdBefore !== undefined) where.push(`created_at < ${param(query.createdBefore)}`);
  const viewer = query.visibleTo;
  if (viewer && !viewer.roles.includes("admin") && !viewer.roles.includes("observer")) {
    where.push(`(submitter_id = ${param(viewer.id)} OR reviewers && ${param([viewer.id, ...viewer.roles])}::text[])`);
  }
  if (query.votableBy) {
    const { principal, voterRoles } = query.votableBy;
    if (!hasVoterRole(principal, voterRoles)) return undefined;
    const id = param(principal.id);
    where.push(`status = 'pending_approval'`, `reviewers && ${param([principal.id, ...principal.roles])}::text[]`, `(submitter_id <> ${id} OR allow_self_approval)`);
  }
  if (query.after) {
    const at = param(query.after.createdAt);
    where.push(`(created_at < ${at} OR (created_at = ${at} AND plan_id > ${param(query.after.id)}))`);
  }
  const limit = param(query.limit + 1);
  return {
    text: `SELECT list_row, policy FROM plans WHERE ${where.join(" AND ")} ORDER BY created_at DESC, plan_id LIMIT ${limit}`,
    values,
  };
}
