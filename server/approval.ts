import { PlanroomError, type ApprovalPolicy, type PlanEventBody, type PlanState, type Principal, type Vote } from "../shared/index.js";
import { canVote } from "./access.js";

/** Where an approval request stands after a vote. */
export type ApprovalOutcome = "pending" | "approved" | "rejected";

/** The decision the votes make under the policy, if any. */
export interface Decision {
  outcome: ApprovalOutcome;
  /** Who decided: the approvers, or the rejecting voters. */
  by: string[];
  reason?: string;
}

/**
 * Evaluates the votes of the current version under the policy. `eligibleVoters` is how many
 * principals may vote at all; it matters only without `vetoOnReject`, where a plan is rejected once
 * the quorum can no longer be reached.
 */
export function decide(state: Pick<PlanState, "policy" | "votes" | "plan">, eligibleVoters: number): Decision {
  const { policy } = state;
  const votes = state.votes.filter((v) => v.version === state.plan.version);
  const approvers = votes.filter((v) => v.decision === "approve").map((v) => v.voterId);
  const rejecting = votes.filter((v) => v.decision === "reject");
  const rejecters = rejecting.map((v) => v.voterId);
  const reason = rejecting.find((v) => v.comment)?.comment;
  const rejected: Decision = { outcome: "rejected", by: rejecters, ...(reason !== undefined ? { reason } : {}) };
  if (policy.vetoOnReject && rejecters.length > 0) return rejected;
  if (approvers.length >= policy.quorum) return { outcome: "approved", by: approvers };
  if (!policy.vetoOnReject && approvers.length + Math.max(0, eligibleVoters - votes.length) < policy.quorum) return rejected;
  return { outcome: "pending", by: [] };
}

/** A vote as the command carries it. */
export interface VoteRequest {
  version: number;
  decision: Vote["decision"];
  comment?: string | undefined;
}

/**
 * Checks a vote against the plan's current state and returns the events it causes: `vote.cast`,
 * and `plan.approved`/`plan.rejected` when it decides. Pure and synchronous, so that the caller can
 * append them in the same tick and the decision is taken exactly once.
 */
export function castVote(state: PlanState, principal: Principal, request: VoteRequest, now: number, eligibleVoters: number): { events: PlanEventBody[]; outcome: ApprovalOutcome } {
  if (!canVote(state, principal)) {
    const why = state.submittedBy.id === principal.id ? "the submitter may not approve its own plan" : "you are not a reviewer of this plan";
    throw new PlanroomError("FORBIDDEN", `${why} (plan ${state.plan.id})`);
  }
  if (state.plan.status !== "pending_approval") throw new PlanroomError("INVALID_STATE", `plan ${state.plan.id} is ${state.plan.status}: voting is closed`);
  const expiresAt = state.policy.expiresInMs === undefined ? undefined : state.requestedAt + state.policy.expiresInMs;
  if (expiresAt !== undefined && now >= expiresAt) {
    throw new PlanroomError("INVALID_STATE", `plan ${state.plan.id}: the approval request expired at ${new Date(expiresAt).toISOString()}`);
  }
  if (request.version !== state.plan.version) {
    throw new PlanroomError("CONFLICT", `plan ${state.plan.id} is at version ${state.plan.version}, the vote is for version ${request.version}`);
  }
  const vote: Vote = {
    voterId: principal.id,
    voterName: principal.name,
    decision: request.decision,
    version: request.version,
    at: now,
    ...(request.comment !== undefined ? { comment: request.comment } : {}),
  };
  const events: PlanEventBody[] = [{ type: "vote.cast", at: now, actor: principal.id, data: { vote } }];
  const votes = [...state.votes.filter((v) => v.voterId !== vote.voterId), vote];
  const decision = decide({ ...state, votes }, eligibleVoters);
  if (decision.outcome === "approved") events.push({ type: "plan.approved", at: now, actor: principal.id, data: { by: decision.by } });
  if (decision.outcome === "rejected") {
    events.push({ type: "plan.rejected", at: now, actor: principal.id, data: { by: decision.by, ...(decision.reason !== undefined ? { reason: decision.reason } : {}) } });
  }
  return { events, outcome: decision.outcome };
}

/** The server's floor under submitted approval policies (configuration `approvalRules`). */
export interface ApprovalRules {
  allowSelfApproval: boolean;
  minQuorum: number;
}

/**
 * Checks a submitted policy against the server's rules and the principals that could vote on it:
 * self-approval only where the server allows it, a quorum no lower than the server's minimum and
 * no higher than the number of eligible voters (the plan could never be approved otherwise).
 * `eligibleVoters` counts the principals, submitter excluded unless self-approval applies.
 */
export function checkSubmittedPolicy(policy: ApprovalPolicy, rules: ApprovalRules, eligibleVoters: number): void {
  if (policy.allowSelfApproval && !rules.allowSelfApproval) {
    throw new PlanroomError("FORBIDDEN", "this server does not let a plan's submitter approve it (approval.allowSelfApproval)", [
      { path: ["approval", "allowSelfApproval"], message: "not allowed on this server" },
    ]);
  }
  if (policy.quorum < rules.minQuorum) {
    throw new PlanroomError("VALIDATION", `this server needs a quorum of at least ${rules.minQuorum}, the policy asks for ${policy.quorum}`, [
      { path: ["approval", "quorum"], message: `at least ${rules.minQuorum}` },
    ]);
  }
  if (policy.quorum > eligibleVoters) {
    throw new PlanroomError("VALIDATION", `the policy needs ${policy.quorum} approval(s) but only ${eligibleVoters} principal(s) may vote on it (approval.reviewers: ${policy.reviewers.join(", ")})`, [
      { path: ["approval", "quorum"], message: `at most ${eligibleVoters} principal(s) may vote` },
    ]);
  }
}
