import { describe, expect, it } from "vitest";
import { ApprovalPolicySchema, DEFAULT_VOTER_ROLES, mayCancel, mayExecute, mayResume, mayVote, type PermissionState, type Principal } from "../../shared/index.js";

const submitter: Principal = { id: "bot", name: "Bot", roles: ["agent"] };
const alice: Principal = { id: "alice", name: "Alice", roles: ["reviewer"] };
const olga: Principal = { id: "olga", name: "Olga", roles: ["observer"] };
const root: Principal = { id: "root", name: "Root", roles: ["admin"] };

function state(status: PermissionState["plan"]["status"], policy: Parameters<typeof ApprovalPolicySchema.parse>[0] = {}): PermissionState {
  return { plan: { status, version: 1 }, policy: ApprovalPolicySchema.parse(policy), submittedBy: { id: submitter.id, name: submitter.name } };
}

describe("mayVote", () => {
  it("allows a principal named by role while the plan is pending approval", () => {
    expect(mayVote(alice, state("pending_approval"))).toEqual({ allowed: true });
  });
  it("allows a principal named by id", () => {
    expect(mayVote(alice, state("pending_approval", { reviewers: ["alice"] })).allowed).toBe(true);
  });
  it("refuses a principal the policy does not name, with a reason", () => {
    const bob: Principal = { id: "bob", name: "Bob", roles: ["reviewer"] };
    expect(mayVote(bob, state("pending_approval", { reviewers: ["alice"] }))).toEqual({ allowed: false, reason: "only alice may vote on this plan" });
  });
  it("refuses a principal without one of the server's voter roles, whatever the policy names", () => {
    const why = { allowed: false, reason: "this server lets only principals with the role reviewer vote, and you have the role observer" };
    expect(mayVote(olga, state("pending_approval"))).toEqual(why);
    expect(mayVote(olga, state("pending_approval", { reviewers: ["olga"] }))).toEqual(why);
    expect(mayVote(olga, state("pending_approval", { reviewers: ["observer"] }), DEFAULT_VOTER_ROLES)).toEqual(why);
    const agentReviewer: Principal = { id: "bot2", name: "Bot 2", roles: ["agent", "observer"] };
    expect(mayVote(agentReviewer, state("pending_approval", { reviewers: ["agent"] }), ["reviewer", "admin"])).toEqual({ allowed: false, reason: "this server lets only principals with the role reviewer or admin vote, and you have the roles agent, observer" });
  });
  it("follows the server's voter roles when they are given", () => {
    expect(mayVote(root, state("pending_approval", { reviewers: ["admin"] }), ["reviewer", "admin"])).toEqual({ allowed: true });
    expect(mayVote(root, state("pending_approval", { reviewers: ["admin"] })).allowed).toBe(false);
    expect(mayVote(alice, state("pending_approval"), ["admin"])).toEqual({ allowed: false, reason: "this server lets only principals with the role admin vote, and you have the role reviewer" });
  });
  it("refuses the submitter unless self-approval is allowed", () => {
    const selfReviewing = { ...submitter, roles: ["agent", "reviewer"] as Principal["roles"] };
    expect(mayVote(selfReviewing, state("pending_approval")).allowed).toBe(false);
    expect(mayVote(selfReviewing, state("pending_approval", { allowSelfApproval: true })).allowed).toBe(true);
  });
  it("refuses once the plan is no longer pending approval", () => {
    const answer = mayVote(alice, state("approved"));
    expect(answer.allowed).toBe(false);
    if (!answer.allowed) expect(answer.reason).toContain("approved");
  });
});

describe("mayCancel", () => {
  it("allows the submitter and admins while the plan may still be cancelled", () => {
    expect(mayCancel(submitter, state("executing")).allowed).toBe(true);
    expect(mayCancel(root, state("approved")).allowed).toBe(true);
  });
  it("allows reviewers only when the policy says so", () => {
    expect(mayCancel(alice, state("executing")).allowed).toBe(false);
    expect(mayCancel(alice, state("executing", { reviewersMayCancel: true })).allowed).toBe(true);
    expect(mayCancel(olga, state("executing", { reviewersMayCancel: true })).allowed).toBe(false);
  });
  it("refuses once the run is over", () => {
    expect(mayCancel(submitter, state("completed")).allowed).toBe(false);
    expect(mayCancel(root, state("rejected")).allowed).toBe(false);
  });
});

describe("mayExecute", () => {
  it("allows the submitter and admins once the plan is approved", () => {
    expect(mayExecute(submitter, state("approved"))).toEqual({ allowed: true });
    expect(mayExecute(root, state("approved"))).toEqual({ allowed: true });
  });
  it("refuses reviewers and observers, with a reason, whatever the policy", () => {
    expect(mayExecute(alice, state("approved", { reviewersMayCancel: true }))).toEqual({ allowed: false, reason: "only the submitter and admins may start a run" });
    expect(mayExecute(olga, state("approved")).allowed).toBe(false);
  });
  it("refuses before approval and once the run has started", () => {
    expect(mayExecute(submitter, state("pending_approval"))).toEqual({ allowed: false, reason: "the plan is pending approval, not approved" });
    for (const status of ["executing", "completed", "failed", "cancelled", "rejected"] as const) expect(mayExecute(root, state(status)).allowed).toBe(false);
  });
});

describe("mayResume", () => {
  it("allows the submitter and admins once a run failed or was cancelled", () => {
    expect(mayResume(submitter, state("failed"))).toEqual({ allowed: true });
    expect(mayResume(root, state("cancelled"))).toEqual({ allowed: true });
  });
  it("refuses reviewers and observers, with a reason", () => {
    expect(mayResume(alice, state("failed"))).toEqual({ allowed: false, reason: "only the submitter and admins may resume a plan" });
    expect(mayResume(olga, state("cancelled")).allowed).toBe(false);
  });
  it("refuses any other status", () => {
    expect(mayResume(submitter, state("completed"))).toEqual({ allowed: false, reason: "the plan is completed, not failed or cancelled" });
    for (const status of ["pending_approval", "approved", "executing", "rejected", "expired"] as const) expect(mayResume(root, state(status)).allowed).toBe(false);
  });
});
