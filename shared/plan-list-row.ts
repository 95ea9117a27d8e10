/**
 * The rows of the plans list (`plans:list`, `plans:watch`): built from a plan's state on the server,
 * kept up to date from the plan's events by a watching client, with one vote count for both. Pure.
 */
import type { PlanState } from "./apply-event.js";
import { statusAfter, type PlanEvent, type PlanEventOf } from "./events.js";
import type { PlanListItem } from "./protocol.js";
import { progressPercent, summary } from "./summary.js";

/** The vote columns of a row. */
export type ListRowVotes = Pick<PlanListItem, "votes" | "approvals" | "rejections">;

/**
 * A row's votes from votes in the order they were cast: one per voter, its latest decision
 * replacing earlier ones (where the voter first voted), and `approvals` / `rejections` counted from those.
 */
export function countListVotes(votes: readonly Pick<PlanListItem["votes"][number], "voterId" | "decision">[]): ListRowVotes {
  const latest = new Map(votes.map((v) => [v.voterId, v.decision]));
  const list = [...latest].map(([voterId, decision]) => ({ voterId, decision }));
  const approvals = list.filter((v) => v.decision === "approve").length;
  return { votes: list, approvals, rejections: list.length - approvals };
}

/** The list row of a plan's state: its progress, the votes on its current version, its quorum. */
export function planListRow(state: Pick<PlanState, "plan" | "policy" | "votes" | "submittedBy" | "seq">): PlanListItem {
  const s = summary(state.plan);
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
    ...countListVotes(state.votes.filter((v) => v.version === state.plan.version)),
    quorum: state.policy.quorum,
    seq: state.seq,
  };
}

/** The list row of a plan just submitted, from its `plan.submitted` event (as the server would list it). */
export function planListRowFromSubmitted(event: PlanEventOf<"plan.submitted">): PlanListItem {
  // The row only reads the plan: no need to fold (and copy) it into a state first.
  const { plan, policy, submittedBy } = event.data;
  return planListRow({ plan, policy, submittedBy, votes: [], seq: event.seq });
}

/**
 * Updates a list row from one event of its plan, in place; returns false when the event is not
 * newer than the row (the row is left as it was). Votes count per voter as in {@link countListVotes},
 * on the current version only: a revision, or a reopening back to approval, clears them.
 */
export function applyToListRow(row: PlanListItem, event: PlanEvent): boolean {
  if (event.seq <= row.seq) return false;
  switch (event.type) {
    case "plan.revised":
      row.version = event.data.plan.version;
      row.description = event.data.plan.description;
      row.total = event.data.plan.steps.length;
      row.finished = 0;
      Object.assign(row, countListVotes([]));
      break;
    case "vote.cast": {
      const { voterId, decision, version } = event.data.vote;
      if (version === row.version) Object.assign(row, countListVotes([...row.votes, { voterId, decision }]));
      break;
    }
    case "plan.reopened":
      row.finished = Math.max(0, row.finished - event.data.resetSteps.length);
      if (event.data.status === "pending_approval") Object.assign(row, countListVotes([]));
      break;
    case "step.completed":
    case "step.failed":
    case "step.skipped":
    case "step.cancelled":
      row.finished = Math.min(row.total, row.finished + 1);
      break;
    default:
      break;
  }
  row.status = statusAfter(event) ?? row.status;
  row.progress = progressPercent(row.finished, row.total, row.status);
  row.seq = event.seq;
  row.updatedAt = event.at;
  return true;
}
