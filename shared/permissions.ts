import type { PlanState } from "./apply-event.js";
import type { ApprovalPolicy, Principal, Role } from "./approval-policy.js";
import { canTransition } from "./lifecycle.js";
import { PLAN_STATUS_WORDS } from "./status-words.js";

/** The answer of a permission check: allowed, or refused with a reason a person can read. */
export type Permission = { allowed: true } | { allowed: false; reason: string };

/** The parts of a room's state that permission checks read. */
export type PermissionState = Pick<PlanState, "policy" | "submittedBy"> & { plan: Pick<PlanState["plan"], "status" | "version"> };

const allowed: Permission = { allowed: true };
const refused = (reason: string): Permission => ({ allowed: false, reason });

/** The roles whose principals a server lets vote unless configured otherwise (`approvalRules.voterRoles`). */
export const DEFAULT_VOTER_ROLES: readonly Role[] = ["reviewer"];

/** `the role reviewer`, `the role reviewer or admin`, `the role reviewer, admin or observer`. */
function theRole(roles: readonly Role[]): string {
  return `the role ${roles.length > 1 ? `${roles.slice(0, -1).join(", ")} or ${roles.at(-1)}` : (roles[0] ?? "(none)")}`;
}

/** The server's voting rule as a sentence: `this server lets only principals with the role reviewer vote`. */
export function voterRolesRule(voterRoles: readonly Role[]): string {
  return `this server lets only principals with ${theRole(voterRoles)} vote`;
}

/** Whether the principal has one of the roles the server lets vote (whatever a plan's policy says). */
export function hasVoterRole(principal: Pick<Principal, "roles">, voterRoles: readonly Role[]): boolean {
  return principal.roles.some((role) => voterRoles.includes(role));
}

/**
 * Why the principal may never vote on this server (it has none of `voterRoles`), addressed to it;
 * undefined when it has one. The server's refusal of such a vote and the dashboard say the same.
 */
export function voterRoleRefusal(principal: Pick<Principal, "roles">, voterRoles: readonly Role[]): string | undefined {
  if (hasVoterRole(principal, voterRoles)) return undefined;
  return `${voterRolesRule(voterRoles)}, and you have the role${principal.roles.length === 1 ? "" : "s"} ${principal.roles.join(", ")}`;
}

/** Whether the policy names the principal as a reviewer, by id or by one of its roles. */
export function isNamedReviewer(principal: Pick<Principal, "id" | "roles">, policy: Pick<ApprovalPolicy, "reviewers">): boolean {
  return policy.reviewers.includes(principal.id) || principal.roles.some((role) => policy.reviewers.includes(role));
}

/**
 * Whether the principal may vote on the plan now: it has one of the server's `voterRoles` (what
 * `session:whoami` answers; by default `reviewer`), the policy names it (by id or role), it is not
 * the submitter unless `allowSelfApproval`, and the plan is pending approval. Votes are always cast
 * on the plan's current version.
 */
export function mayVote(principal: Pick<Principal, "id" | "roles">, state: PermissionState, voterRoles: readonly Role[] = DEFAULT_VOTER_ROLES): Permission {
  if (state.plan.status !== "pending_approval") return refused(`the plan is ${PLAN_STATUS_WORDS[state.plan.status]}, not pending approval`);
  const noVoterRole = voterRoleRefusal(principal, voterRoles);
  if (noVoterRole !== undefined) return refused(noVoterRole);
  if (!isNamedReviewer(principal, state.policy)) return refused(`only ${state.policy.reviewers.join(", ")} may vote on this plan`);
  if (principal.id === state.submittedBy.id && !state.policy.allowSelfApproval) return refused("the submitter may not vote on its own plan");
  return allowed;
}

/**
 * Whether the principal may cancel the plan: the submitter, an admin, or a named reviewer when the
 * policy sets `reviewersMayCancel`; and only while the lifecycle allows cancelling.
 */
export function mayCancel(principal: Pick<Principal, "id" | "roles">, state: PermissionState): Permission {
  const status = state.plan.status;
  if (!canTransition(status, "cancelled")) return refused(`the plan is ${PLAN_STATUS_WORDS[status]}`);
  if (principal.id === state.submittedBy.id || principal.roles.includes("admin")) return allowed;
  if (state.policy.reviewersMayCancel && isNamedReviewer(principal, state.policy)) return allowed;
  return refused(state.policy.reviewersMayCancel ? "only the submitter, admins and reviewers may cancel" : "only the submitter and admins may cancel");
}

/** Who may start or resume runs, status aside: the submitter or an admin. */
function mayRun(principal: Pick<Principal, "id" | "roles">, state: PermissionState, what: string): Permission {
  if (principal.id === state.submittedBy.id || principal.roles.includes("admin")) return allowed;
  return refused(`only the submitter and admins may ${what}`);
}

/** Whether the principal may start the plan's run: the submitter or an admin, once the plan is approved. */
export function mayExecute(principal: Pick<Principal, "id" | "roles">, state: PermissionState): Permission {
  const status = state.plan.status;
  if (status !== "approved") return refused(`the plan is ${PLAN_STATUS_WORDS[status]}, not approved`);
  return mayRun(principal, state, "start a run");
}

/**
 * Whether the principal may resume the plan: the submitter or an admin, once a run failed or was
 * cancelled. Resuming sends the plan back to approval under the same policy; once approved again,
 * its failed, skipped and cancelled steps run again.
 */
export function mayResume(principal: Pick<Principal, "id" | "roles">, state: PermissionState): Permission {
  const status = state.plan.status;
  if (status !== "failed" && status !== "cancelled") return refused(`the plan is ${PLAN_STATUS_WORDS[status]}, not failed or cancelled`);
  return mayRun(principal, state, "resume a plan");
}
