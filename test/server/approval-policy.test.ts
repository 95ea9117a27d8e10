import { describe, expect, it } from "vitest";
import { ApprovalPolicySchema, ExecutionPlan, type ApprovalPolicyInput, type PlanState, type Principal } from "../../shared/index.js";
import { castVote, checkSubmittedPolicy, decide } from "../../server/approval.js";

const agent: Principal = { id: "bot", name: "Bot", roles: ["agent", "reviewer"] };
const alice: Principal = { id: "alice", name: "Alice", roles: ["reviewer"] };
const bob: Principal = { id: "bob", name: "Bob", roles: ["reviewer"] };
const carol: Principal = { id: "carol", name: "Carol", roles: ["observer"] };

function state(policy: ApprovalPolicyInput = {}): PlanState {
  const plan = ExecutionPlan.fromInput({ description: "p", steps: [{ tool: "t" }] }, { id: "p1" }).submitForApproval().toJSON();
  return { plan, policy: ApprovalPolicySchema.parse(policy), votes: [], submittedBy: { id: agent.id, name: agent.name }, tools: [], autoExecute: false, requestedAt: plan.updatedAt, seq: 1 };
}
const vote = (s: PlanState, who: Principal, decision: "approve" | "reject", eligible = 3) => castVote(s, who, { version: s.plan.version, decision }, 5, eligible);

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
    const at = (now: number) => () => castVote(s, alice, { version: 1, decision: "approve" }, now, 3);
    expect(at(s.requestedAt + 999)().outcome).toBe("approved");
    expect(at(s.requestedAt + 1_000)).toThrow(expect.objectContaining({ code: "INVALID_STATE", message: expect.stringMatching(/expired/) }));
  });

  it("keeps the submitter from approving its own plan unless allowed", () => {
    expect(() => vote(state(), agent, "approve")).toThrow(/submitter/);
    expect(vote(state({ allowSelfApproval: true }), agent, "approve").outcome).toBe("approved");
  });

  it("lets only named reviewers vote (by id or role), never observers or outsiders", () => {
    expect(() => vote(state(), carol, "approve")).toThrow(expect.objectContaining({ code: "FORBIDDEN" }));
    expect(vote(state({ reviewers: ["carol"] }), carol, "approve").outcome).toBe("approved");
    expect(() => vote(state({ reviewers: ["alice"] }), bob, "approve")).toThrow(expect.objectContaining({ code: "FORBIDDEN" }));
  });

  it("refuses a stale version and a decided plan", () => {
    const s = state();
    expect(() => castVote(s, alice, { version: 2, decision: "approve" }, 5, 3)).toThrow(expect.objectContaining({ code: "CONFLICT" }));
    s.plan.status = "approved";
    expect(() => vote(s, alice, "approve")).toThrow(expect.objectContaining({ code: "INVALID_STATE" }));
  });

  it("holds submitted policies to the server's rules and to the voters that exist", () => {
    const rules = { allowSelfApproval: false, minQuorum: 2 };
    const policy = (input: ApprovalPolicyInput) => ApprovalPolicySchema.parse(input);
    expect(() => checkSubmittedPolicy(policy({ quorum: 2 }), rules, 3)).not.toThrow();
    expect(() => checkSubmittedPolicy(policy({ quorum: 2, allowSelfApproval: true }), rules, 3)).toThrow(expect.objectContaining({ code: "FORBIDDEN" }));
    expect(() => checkSubmittedPolicy(policy({ quorum: 2, allowSelfApproval: true }), { ...rules, allowSelfApproval: true }, 3)).not.toThrow();
    expect(() => checkSubmittedPolicy(policy({ quorum: 1 }), rules, 3)).toThrow(expect.objectContaining({ code: "VALIDATION", message: expect.stringMatching(/at least 2/) }));
    expect(() => checkSubmittedPolicy(policy({ quorum: 4 }), rules, 3)).toThrow(expect.objectContaining({ code: "VALIDATION", message: expect.stringMatching(/only 3 principal/) }));
  });
});
