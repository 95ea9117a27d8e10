import { PlanroomError, type PlanListFilter, type Principal, type Role } from "../../shared/index.js";
import type { PlanPosition, PlanQuery } from "../store/plan-query.js";

/** A position in the plan index as the opaque cursor clients get: base64url of the JSON `[createdAt, id]`. */
export function encodeCursor(position: PlanPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString("base64url");
}

/** The position a cursor names; `VALIDATION` ("invalid cursor") when it is not one this server gave out. */
function decodeCursor(cursor: string): PlanPosition {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === "number" && typeof value[1] === "string") return { createdAt: value[0], id: value[1] };
  } catch {
    // fall through: an unreadable cursor
  }
  throw new PlanroomError("VALIDATION", "invalid cursor", [{ path: ["cursor"], message: "not a cursor this server gave out" }]);
}

/**
 * The plan-index query of a list filter as `principal` asks it (`plans:list`, `plans:watch`,
 * `GET /api/plans`): the plans it may see, by status, submitter and creation time, `mayVote` those
 * pending approval it may vote on (under the server's `voterRoles`), after `cursor`, at most `limit`.
 */
export function planListQuery(principal: Principal, filter: Readonly<PlanListFilter>, page: { limit: number; cursor?: string | undefined }, voterRoles: readonly Role[]): PlanQuery {
  const query: PlanQuery = { visibleTo: principal, limit: page.limit };
  if (filter.status !== undefined) query.status = Array.isArray(filter.status) ? filter.status : [filter.status];
  if (filter.submittedBy !== undefined) query.submittedBy = filter.submittedBy;
  if (filter.mayVote === true) query.votableBy = { principal, voterRoles };
  if (filter.createdFrom !== undefined) query.createdFrom = filter.createdFrom;
  if (filter.createdBefore !== undefined) query.createdBefore = filter.createdBefore;
  if (page.cursor !== undefined) query.after = decodeCursor(page.cursor);
  return query;
}
