import {
  PlanroomError,
  RoleSchema,
  hasVoterRole,
  voterRoleRefusal,
  voterRolesRule,
  type ApprovalPolicy,
  type Issue,
  type PlanEventBody,
  type PlanState,
  type Principal,
  type Role,
  type Vote,
} from "../../shared/index.js";
import { canVote } from "../auth/access-rules.js";

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
 * append them in the same tick and the decision is taken exactly once. A principal with none of
 * the server's `voterRoles` is refused whatever the plan's policy names (plans stored before the
 * rule included).
 */
export function castVote(state: PlanState, principal: Principal, request: VoteRequest, now: number, eligibleVoters: number, voterRoles: readonly Role[]): { events: PlanEventBody[]; outcome: ApprovalOutcome } {
  if (!canVote(state, principal, voterRoles)) {
    const why = voterRoleRefusal(principal, voterRoles) ?? (state.submittedBy.id === principal.id ? "the submitter may not approve its own plan" : "you are not a reviewer of this plan");
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
  /** The roles whose principals may vote at all; a policy may name no one else. */
  voterRoles: readonly Role[];
}

/** Who could vote on a submitted policy, as the server knows its principals. */
export interface PolicyVoters {
  /** How many principals may vote on it (`canVote`), the submitter excluded unless self-approval applies (`PrincipalRegistry.eligibleVoters`). */
  eligible: number;
  /** The configured principal with this id, if any. */
  principal: (id: string) => Pick<Principal, "id" | "roles"> | undefined;
}

const ROLE_NAMES: readonly string[] = RoleSchema.options;

/**
 * The entries of `policy.reviewers` that could let a principal without one of `voterRoles` vote,
 * each as an issue at `approval.reviewers[i]`: a role that is not a voter role, or the id of a
 * configured principal with none of them (an entry may be both; either disqualifies it). An empty
 * list names nobody, so nobody could vote: an issue at `approval.reviewers`. Ids of unknown
 * principals are not issues here (they can vote only once configured with a voter role).
 */
export function policyVoterIssues(policy: Pick<ApprovalPolicy, "reviewers">, voterRoles: readonly Role[], principal: PolicyVoters["principal"]): Issue[] {
  const rule = voterRolesRule(voterRoles);
  if (policy.reviewers.length === 0) return [{ path: ["approval", "reviewers"], message: `the list is empty, so nobody could vote; name principals by id or by role (${rule})` }];
  const issues: Issue[] = [];
  policy.reviewers.forEach((entry, i) => {
    const named = principal(entry);
    let message: string | undefined;
    if (ROLE_NAMES.includes(entry) && !voterRoles.includes(entry as Role)) message = `${rule}; ${entry} is not one of them`;
    else if (named && !hasVoterRole(named, voterRoles)) message = `${rule}; ${entry} has the role${named.roles.length === 1 ? "" : "s"} ${named.roles.join(", ")}`;
    if (message !== undefined) issues.push({ path: ["approval", "reviewers", i], message });
  });
  return issues;
}

/**
 * Checks a submitted policy against the server's rules and the principals that could vote on it:
 * self-approval only where the server allows it; voters named only among principals with one of
 * the server's `voterRoles` ({@link policyVoterIssues}); a quorum no lower than the server's
 * minimum and no higher than the number of eligible voters (the plan could never be approved
 * otherwise).
 */
export function checkSubmittedPolicy(policy: ApprovalPolicy, rules: ApprovalRules, voters: PolicyVoters): void {
  if (policy.allowSelfApproval && !rules.allowSelfApproval) {
    throw new PlanroomError("FORBIDDEN", "this server does not let a plan's submitter approve it (approval.allowSelfApproval)", [
      { path: ["approval", "allowSelfApproval"], message: "not allowed on this server" },
    ]);
  }
  const voterIssues = policyVoterIssues(policy, rules.voterRoles, voters.principal);
  if (voterIssues.length > 0) {
    const lines = voterIssues.map(({ path, message }) => {
      const index = path[2];
      return typeof index === "number" ? `approval.reviewers[${index}] (${JSON.stringify(policy.reviewers[index])}): ${message}` : `approval.reviewers: ${message}`;
    });
    const text = lines.length === 1 ? (lines[0] as string) : `the approval policy names voters this server does not allow:\n${lines.map((l) => `  - ${l}`).join("\n")}`;
    throw new PlanroomError("VALIDATION", text, voterIssues);
  }
  if (policy.quorum < rules.minQuorum) {
    throw new PlanroomError("VALIDATION", `this server needs a quorum of at least ${rules.minQuorum}, the policy asks for ${policy.quorum}`, [
      { path: ["approval", "quorum"], message: `at least ${rules.minQuorum}` },
    ]);
  }
  if (policy.quorum > voters.eligible) {
    throw new PlanroomError("VALIDATION", `the policy needs ${policy.quorum} approval(s) but only ${voters.eligible} principal(s) may vote on it (approval.reviewers: ${policy.reviewers.join(", ")})`, [
      { path: ["approval", "quorum"], message: `at most ${voters.eligible} principal(s) may vote` },
    ]);
  }
}
