import { describe, expect, it } from "vitest";
import { ApprovalPolicySchema, ExecutionPlan, PlanroomError, type ApprovalPolicyInput, type PlanState, type Principal, type Role } from "../../../shared/index.js";
import { castVote, checkSubmittedPolicy, decide, policyVoterIssues, type PolicyVoters } from "../../../server/rooms/approval.js";

const agent: Principal = { id: "bot", name: "Bot", roles: ["agent", "reviewer"] };
const alice: Principal = { id: "alice", name: "Alice", roles: ["reviewer"] };
const bob: Principal = { id: "bob", name: "Bob", roles: ["reviewer"] };
const carol: Principal = { id: "carol", name: "Carol", roles: ["observer"] };

function state(policy: ApprovalPolicyInput = {}): PlanState {
  const plan = ExecutionPlan.fromInput({ description: "p", steps: [{ tool: "t" }] }, { id: "p1" }).submitForApproval().toJSON();
  return { plan, policy: ApprovalPolicySchema.parse(policy), votes: [], submittedBy: { id: agent.id, name: agent.name }, tools: [], autoExecute: false, requestedAt: plan.updatedAt, seq: 1 };
}
const VOTER_ROLES = ["reviewer"] as const;
const policy = (input: ApprovalPolicyInput) => ApprovalPolicySchema.parse(input);
const vote = (s: PlanState, who: Principal, decision: "approve" | "reject", eligible = 3, voterRoles: readonly Role[] = VOTER_ROLES) => castVote(s, who, { version: s.plan.version, decision }, 5, eligible, voterRoles);

describe("approval policy", () => {
  it("approves at quorum and names the approvers", () => {
    const s = state({ quorum: 2 });
    const first = vote(s, alice, "approve");
    expect(first.outcome).toBe("pending");
    s.votes.push((first.events[0] as { data: { vote: PlanState["votes"][number] } }).data.vote);
    const second = vote(s, bob, "approve");
    expect(second.outcome).toBe("approved");
    expect(second.events.map((e) => e.type)).toEqual(["vote.cast", "plan.approved"]);
    expect(second.events[1]).toMatchObject({ data: { by: ["alice", "bob"] } });
  });

  it("without veto, rejects only once the quorum cannot be reached", () => {
    const s = state({ quorum: 2, vetoOnReject: false });
    s.votes.push({ voterId: "alice", voterName: "Alice", decision: "reject", version: 1, at: 1 });
    expect(decide(s, 3).outcome).toBe("pending");
    s.votes.push({ voterId: "bob", voterName: "Bob", decision: "reject", version: 1, at: 1 });
    expect(decide(s, 3)).toEqual({ outcome: "rejected", by: ["alice", "bob"] });
  });

  it("refuses a vote that arrives after the request expired, even before the expiry is recorded", () => {
    const s = state({ expiresInMs: 1_000 });
    const at = (now: number) => () => castVote(s, alice, { version: 1, decision: "approve" }, now, 3, VOTER_ROLES);
    expect(at(s.requestedAt + 999)().outcome).toBe("approved");
    expect(at(s.requestedAt + 1_000)).toThrow(expect.objectContaining({ code: "INVALID_STATE", message: expect.stringMatching(/expired/) }));
  });

  it("keeps the submitter from approving its own plan unless allowed", () => {
    expect(() => vote(state(), agent, "approve")).toThrow(/submitter/);
    expect(vote(state({ allowSelfApproval: true }), agent, "approve").outcome).toBe("approved");
  });

  it("lets only named reviewers vote (by id or role), never observers or outsiders", () => {
    expect(() => vote(state(), carol, "approve")).toThrow(expect.objectContaining({ code: "FORBIDDEN" }));
    expect(vote(state({ reviewers: ["alice"] }), alice, "approve").outcome).toBe("approved");
    expect(() => vote(state({ reviewers: ["alice"] }), bob, "approve")).toThrow(expect.objectContaining({ code: "FORBIDDEN", message: "you are not a reviewer of this plan (plan p1)" }));
  });

  it("refuses a principal without a voter role even where a (stored) policy names it, saying why", () => {
    const refusal = { code: "FORBIDDEN", message: "this server lets only principals with the role reviewer vote, and you have the role observer (plan p1)" };
    expect(() => vote(state({ reviewers: ["carol"] }), carol, "approve")).toThrow(expect.objectContaining(refusal));
    expect(() => vote(state({ reviewers: ["observer"] }), carol, "reject")).toThrow(expect.objectContaining(refusal));
    // The submitter, self-approval or not: an agent is not a voter unless it also has a voter role.
    const bot: Principal = { id: "bot", name: "Bot", roles: ["agent"] };
    expect(() => vote(state({ reviewers: ["agent"], allowSelfApproval: true }), bot, "approve")).toThrow(expect.objectContaining({ code: "FORBIDDEN", message: expect.stringMatching(/only principals with the role reviewer vote, and you have the role agent/) }));
    // The server's voter roles decide, not the default.
    expect(vote(state({ reviewers: ["carol"] }), carol, "approve", 3, ["reviewer", "observer"]).outcome).toBe("approved");
    expect(() => vote(state(), alice, "approve", 3, ["admin"])).toThrow(expect.objectContaining({ code: "FORBIDDEN", message: expect.stringMatching(/only principals with the role admin vote, and you have the role reviewer/) }));
  });

  it("refuses a stale version and a decided plan", () => {
    const s = state();
    expect(() => castVote(s, alice, { version: 2, decision: "approve" }, 5, 3, VOTER_ROLES)).toThrow(expect.objectContaining({ code: "CONFLICT" }));
    s.plan.status = "approved";
    expect(() => vote(s, alice, "approve")).toThrow(expect.objectContaining({ code: "INVALID_STATE" }));
  });

  it("holds submitted policies to the server's rules and to the voters that exist", () => {
    const rules = { allowSelfApproval: false, minQuorum: 2, voterRoles: VOTER_ROLES };
    const voters = (eligible: number): PolicyVoters => ({ eligible, principal: () => undefined });
    expect(() => checkSubmittedPolicy(policy({ quorum: 2 }), rules, voters(3))).not.toThrow();
    expect(() => checkSubmittedPolicy(policy({ quorum: 2, allowSelfApproval: true }), rules, voters(3))).toThrow(expect.objectContaining({ code: "FORBIDDEN" }));
    expect(() => checkSubmittedPolicy(policy({ quorum: 2, allowSelfApproval: true }), { ...rules, allowSelfApproval: true }, voters(3))).not.toThrow();
    expect(() => checkSubmittedPolicy(policy({ quorum: 1 }), rules, voters(3))).toThrow(expect.objectContaining({ code: "VALIDATION", message: expect.stringMatching(/at least 2/) }));
    expect(() => checkSubmittedPolicy(policy({ quorum: 4 }), rules, voters(3))).toThrow(expect.objectContaining({ code: "VALIDATION", message: expect.stringMatching(/only 3 principal/) }));
  });
});

describe("who may be named as a voter (approvalRules.voterRoles)", () => {
  const registry: Principal[] = [alice, bob, carol, agent, { id: "deploy", name: "Deploy", roles: ["agent"] }, { id: "root", name: "Root", roles: ["admin"] }];
  const byId = (id: string) => registry.find((p) => p.id === id);
  const rules = (voterRoles: readonly Role[] = VOTER_ROLES) => ({ allowSelfApproval: true, minQuorum: 1, voterRoles });
  const submit = (input: ApprovalPolicyInput, voterRoles?: readonly Role[]) => () => checkSubmittedPolicy(policy(input), rules(voterRoles), { eligible: 10, principal: byId });

  it("refuses a role that is not a voter role, naming the entry and what the server allows", () => {
    expect(submit({ reviewers: ["agent"] })).toThrow(
      expect.objectContaining({
        code: "VALIDATION",
        message: 'approval.reviewers[0] ("agent"): this server lets only principals with the role reviewer vote; agent is not one of them',
        issues: [{ path: ["approval", "reviewers", 0], message: "this server lets only principals with the role reviewer vote; agent is not one of them" }],
      }),
    );
    for (const role of ["observer", "admin"]) expect(submit({ reviewers: ["alice", role] })).toThrow(expect.objectContaining({ issues: [expect.objectContaining({ path: ["approval", "reviewers", 1] })] }));
  });

  it("refuses the id of a configured principal with none of the voter roles, saying which roles it has", () => {
    expect(submit({ reviewers: ["alice", "deploy"] })).toThrow(
      expect.objectContaining({
        code: "VALIDATION",
        message: 'approval.reviewers[1] ("deploy"): this server lets only principals with the role reviewer vote; deploy has the role agent',
        issues: [{ path: ["approval", "reviewers", 1], message: expect.any(String) }],
      }),
    );
    expect(submit({ reviewers: ["carol"] })).toThrow(expect.objectContaining({ message: expect.stringMatching(/carol has the role observer$/) }));
    // A principal whose id is also a voter role's name could vote through that entry: judged by its own roles.
    const odd: Principal = { id: "reviewer", name: "Odd", roles: ["observer"] };
    expect(() => checkSubmittedPolicy(policy({}), rules(), { eligible: 10, principal: (id) => (id === odd.id ? odd : undefined) })).toThrow(expect.objectContaining({ message: expect.stringMatching(/reviewer has the role observer$/) }));
  });

  it("accepts voter roles, ids of principals with a voter role (whatever else they are), and unknown ids", () => {
    const unregistered = (input: ApprovalPolicyInput) => () => checkSubmittedPolicy(policy(input), rules(), { eligible: 10, principal: () => undefined });
    expect(unregistered({ reviewers: ["reviewer"] })).not.toThrow();
    expect(submit({ reviewers: ["alice", "bob"] })).not.toThrow();
    expect(submit({ reviewers: ["bot"] })).not.toThrow(); // agent and reviewer
    expect(submit({ reviewers: ["nobody-yet"] })).not.toThrow();
  });

  it("reads an absent reviewers list as the role reviewer, and refuses it where reviewers may not vote", () => {
    expect(submit({})).not.toThrow();
    expect(submit({}, ["admin"])).toThrow(expect.objectContaining({ message: 'approval.reviewers[0] ("reviewer"): this server lets only principals with the role admin vote; reviewer is not one of them' }));
  });

  it("refuses an empty reviewers list: it names nobody, so nobody could vote", () => {
    expect(submit({ reviewers: [] })).toThrow(
      expect.objectContaining({ code: "VALIDATION", issues: [{ path: ["approval", "reviewers"], message: expect.stringMatching(/empty, so nobody could vote.*only principals with the role reviewer vote/) }] }),
    );
  });

  it("follows the configured voter roles: admins allowed when listed", () => {
    const both: Role[] = ["reviewer", "admin"];
    expect(submit({ reviewers: ["admin"] }, both)).not.toThrow();
    expect(submit({ reviewers: ["root", "reviewer"] }, both)).not.toThrow();
    expect(submit({ reviewers: ["observer"] }, both)).toThrow(expect.objectContaining({ message: expect.stringContaining("only principals with the role reviewer or admin vote; observer is not one of them") }));
  });

  it("lists every offending entry at once, one line each", () => {
    const refused = (() => {
      try {
        submit({ reviewers: ["agent", "alice", "deploy"] })();
      } catch (error) {
        return error as PlanroomError;
      }
      throw new Error("not refused");
    })();
    expect(refused.issues?.map((i) => i.path)).toEqual([["approval", "reviewers", 0], ["approval", "reviewers", 2]]);
    expect(refused.message.split("\n")).toEqual([
      "the approval policy names voters this server does not allow:",
      '  - approval.reviewers[0] ("agent"): this server lets only principals with the role reviewer vote; agent is not one of them',
      '  - approval.reviewers[2] ("deploy"): this server lets only principals with the role reviewer vote; deploy has the role agent',
    ]);
  });

  it("keeps the self-approval refusal first, and checks voters before the quorum", () => {
    expect(() => checkSubmittedPolicy(policy({ reviewers: ["agent"], allowSelfApproval: true }), { ...rules(), allowSelfApproval: false }, { eligible: 0, principal: byId })).toThrow(expect.objectContaining({ code: "FORBIDDEN" }));
    expect(() => checkSubmittedPolicy(policy({ reviewers: ["agent"], quorum: 3 }), rules(), { eligible: 0, principal: byId })).toThrow(expect.objectContaining({ issues: [expect.objectContaining({ path: ["approval", "reviewers", 0] })] }));
  });
});

describe("policyVoterIssues", () => {
  it("is empty for a policy whose every entry names voters only", () => {
    expect(policyVoterIssues({ reviewers: ["reviewer", "alice"] }, VOTER_ROLES, (id) => (id === "alice" ? alice : undefined))).toEqual([]);
  });
});
