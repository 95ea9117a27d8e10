import { summary, type PlanListItem, type PlanState, type PlanStatus } from "../../shared/index.js";

/** One row of `plans:list` / `plans:watch` for a plan's state. */
export function listItem(state: PlanState): PlanListItem {
  const s = summary(state.plan);
  // One vote per voter: a later vote replaces the voter's earlier one (as `applyEvent` keeps them).
  const latest = new Map(state.votes.filter((v) => v.version === state.plan.version).map((v) => [v.voterId, v]));
  const current = [...latest.values()];
  return {
    id: state.plan.id,
    description: state.plan.description,
    status: state.plan.status,
    version: state.plan.version,
    submittedBy: { id: state.submittedBy.id, name: state.submittedBy.name },
    createdAt: state.plan.createdAt,
    updatedAt: state.plan.updatedAt,
    total: s.total,
    finished: s.finished,
    progress: s.progress,
    approvals: current.filter((v) => v.decision === "approve").length,
    rejections: current.filter((v) => v.decision === "reject").length,
    votes: current.map((v) => ({ voterId: v.voterId, decision: v.decision })),
    quorum: state.policy.quorum,
    seq: state.seq,
  };
}

/** Filters of a plan list. */
export interface ListFilter {
  status?: PlanStatus | PlanStatus[] | undefined;
  submittedBy?: string | undefined;
}

/** Whether a state passes the filter. */
export function matchesFilter(state: PlanState, filter: ListFilter): boolean {
  if (filter.submittedBy !== undefined && state.submittedBy.id !== filter.submittedBy) return false;
  if (filter.status !== undefined) {
    const wanted = Array.isArray(filter.status) ? filter.status : [filter.status];
    if (!wanted.includes(state.plan.status)) return false;
  }
  return true;
}

function encodeCursor(state: PlanState): string {
  return Buffer.from(JSON.stringify([state.plan.createdAt, state.plan.id])).toString("base64url");
}

function decodeCursor(cursor: string): [number, string] | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === "number" && typeof value[1] === "string") return [value[0], value[1]];
  } catch {
    // fall through: an unreadable cursor
  }
  return undefined;
}

/** Newest first; ties by id, so the order (and the cursor) is stable. */
function compare(a: PlanState, b: PlanState): number {
  return b.plan.createdAt - a.plan.createdAt || (a.plan.id < b.plan.id ? -1 : a.plan.id > b.plan.id ? 1 : 0);
}

/**
 * One page of states, newest first: those after `cursor` (an opaque string from an earlier page),
 * at most `limit`, and the cursor of the next page when there is one. An unreadable cursor is `undefined`.
 */
export function page(states: PlanState[], limit: number, cursor?: string): { items: PlanState[]; nextCursor?: string } | undefined {
  const sorted = [...states].sort(compare);
  let start = 0;
  if (cursor !== undefined) {
    const key = decodeCursor(cursor);
    if (!key) return undefined;
    const [createdAt, id] = key;
    start = sorted.findIndex((s) => s.plan.createdAt < createdAt || (s.plan.createdAt === createdAt && s.plan.id > id));
    if (start < 0) start = sorted.length;
  }
  const items = sorted.slice(start, start + limit);
  const last = items[items.length - 1];
  return start + limit < sorted.length && last ? { items, nextCursor: encodeCursor(last) } : { items };
}
