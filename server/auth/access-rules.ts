import { mayCancel, mayExecute, mayResume, mayVote, type PlanState, type Principal, type Role } from "../../shared/index.js";
import { maySeePlan } from "../store/plan-query.js";

/** The parts of a plan's state that decide who may see and act on it. */
export type AccessSubject = Pick<PlanState, "policy" | "submittedBy">;

/** Whether the principal has the role. */
function hasRole(principal: Principal, role: Role): boolean {
  return principal.roles.includes(role);
}

/** Whether the principal submitted the plan. */
function isSubmitter(subject: AccessSubject, principal: Principal): boolean {
  return subject.submittedBy.id === principal.id;
}

/**
 * Who may see a plan (join its room, read it, receive its events): submitter, admins, observers,
 * named reviewers. The plan index's rule (`visibleTo` of a plan query), so that lists and rooms agree.
 */
export function canSee(subject: AccessSubject, principal: Principal): boolean {
  return maySeePlan(subject, principal);
}

/**
 * Who may vote at all (status aside): a principal with one of the server's `voterRoles` that the
 * policy names; the submitter only with self-approval.
 */
export function canVote(subject: AccessSubject, principal: Principal, voterRoles: readonly Role[]): boolean {
  return mayVote(principal, { ...subject, plan: { status: "pending_approval", version: 1 } }, voterRoles).allowed;
}

/** Who may revise: the submitter. */
export function canRevise(subject: AccessSubject, principal: Principal): boolean {
  return isSubmitter(subject, principal);
}

/** Who may start a run (status aside): the submitter or an admin (`mayExecute` in `shared/`). */
export function canExecute(subject: AccessSubject, principal: Principal): boolean {
  return mayExecute(principal, { ...subject, plan: { status: "approved", version: 1 } }).allowed;
}

/** Who may resume a failed or cancelled plan (status aside): the submitter or an admin (`mayResume` in `shared/`). */
export function canResume(subject: AccessSubject, principal: Principal): boolean {
  return mayResume(principal, { ...subject, plan: { status: "failed", version: 1 } }).allowed;
}

/** Who may cancel (status aside): the submitter, an admin, or a named reviewer when the policy allows it. */
export function canCancel(subject: AccessSubject, principal: Principal): boolean {
  return mayCancel(principal, { ...subject, plan: { status: "pending_approval", version: 1 } }).allowed;
}

/** Who may submit plans: agents. */
export function canSubmit(principal: Principal): boolean {
  return hasRole(principal, "agent");
}
