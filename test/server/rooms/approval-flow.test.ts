import { describe, expect, it } from "vitest";
import { chainPlan, useTestServer } from "../../support/planroom-test-kit.js";

const scope = useTestServer();
const join = scope.join;

describe("approval over the wire", () => {
  it("runs the seed scenario: submit, three reviewers join, two approve with quorum 2, all see every step in order", async () => {
    await scope.start({ tools: { search: (p) => ({ found: p.n }), analyze: () => "ok", summarize: () => "done" } });
    const agent = await join("agent-1");
    const submitted = await agent.ok("plan:submit", { plan: chainPlan(["search", "analyze", "summarize"]), approval: { quorum: 2 }, autoExecute: true });
    expect(submitted.seq).toBe(1);
    const reviewers = await Promise.all(["rev-1", "rev-2", "rev-3"].map((id) => join(id)));
    for (const r of reviewers) {
      const { snapshot } = await r.ok("plan:join", { planId: submitted.planId });
      expect(snapshot.plan.status).toBe("pending_approval");
      expect(snapshot.formatted).toContain("search");
      expect(snapshot.seq).toBe(1);
    }
    const first = await reviewers[0]!.ok("plan:vote", { planId: submitted.planId, version: 1, decision: "approve" });
    expect(first.outcome).toBe("pending");
    const second = await reviewers[1]!.ok("plan:vote", { planId: submitted.planId, version: 1, decision: "approve", comment: "fine" });
    expect(second.outcome).toBe("approved");
    for (const r of reviewers) await r.waitFor((e) => e.type === "plan.completed");
    const types = reviewers[2]!.events.map((e) => e.type);
    expect(types).toEqual([
      "vote.cast", "vote.cast", "plan.approved", "plan.started",
      "step.started", "step.completed", "step.started", "step.completed", "step.started", "step.completed",
      "plan.completed",
    ]);
    for (const r of reviewers) {
      expect(r.events.map((e) => e.seq)).toEqual(reviewers[2]!.events.map((e) => e.seq));
      r.events.forEach((e, i) => expect(e.seq).toBe(i + 2));
    }
    const approved = reviewers[0]!.events.find((e) => e.type === "plan.approved");
    expect(approved?.type === "plan.approved" && approved.data.by).toEqual(["rev-1", "rev-2"]);
  });

  it("rejects on one veto and refuses later votes", async () => {
    await scope.start({ tools: { t: () => 1 } });
    const agent = await join("agent-1");
    const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["t"]), approval: { quorum: 2 } });
    const r1 = await join("rev-1");
    const r2 = await join("rev-2");
    const vote = await r1.ok("plan:vote", { planId, version: 1, decision: "reject", comment: "too risky" });
    expect(vote.outcome).toBe("rejected");
    const late = await r2.cmd("plan:vote", { planId, version: 1, decision: "approve" });
    expect(late.ok).toBe(false);
    if (!late.ok) expect(late.error.code).toBe("INVALID_STATE");
    const { snapshot } = await r2.ok("plan:join", { planId });
    expect(snapshot.plan.status).toBe("rejected");
    expect(snapshot.plan.decision).toMatchObject({ outcome: "rejected", by: ["rev-1"], reason: "too risky" });
  });

  it("decides once when votes arrive at the same instant", async () => {
    await scope.start({ tools: { t: () => 1 } });
    const agent = await join("agent-1");
    const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["t"]), approval: { quorum: 1 } });
    const rs = await Promise.all(["rev-1", "rev-2", "rev-3"].map((id) => join(id)));
    const acks = await Promise.all(rs.map((r) => r.cmd("plan:vote", { planId, version: 1, decision: "approve" })));
    expect(acks.filter((a) => a.ok && a.outcome === "approved")).toHaveLength(1);
    expect(acks.filter((a) => !a.ok && a.error.code === "INVALID_STATE")).toHaveLength(2);
    const { events } = await rs[0]!.ok("plan:join", { planId, afterSeq: 0 });
    expect(events.filter((e) => e.type === "plan.approved")).toHaveLength(1);
  });

  it("lets a voter change its vote until the decision; a stale version is a CONFLICT", async () => {
    await scope.start({ tools: { t: () => 1 } });
    const agent = await join("agent-1");
    const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["t"]), approval: { quorum: 2, vetoOnReject: false } });
    const r1 = await join("rev-1");
    const r2 = await join("rev-2");
    expect((await r1.ok("plan:vote", { planId, version: 1, decision: "reject" })).outcome).toBe("pending");
    expect((await r1.ok("plan:vote", { planId, version: 1, decision: "approve" })).outcome).toBe("pending");
    const stale = await r2.cmd("plan:vote", { planId, version: 2, decision: "approve" });
    expect(!stale.ok && stale.error.code).toBe("CONFLICT");
    expect((await r2.ok("plan:vote", { planId, version: 1, decision: "approve" })).outcome).toBe("approved");
    const { snapshot } = await r1.ok("plan:join", { planId });
    expect(snapshot.votes.map((v) => [v.voterId, v.decision])).toEqual([["rev-1", "approve"], ["rev-2", "approve"]]);
  });

  it("revision bumps the version, dismisses earlier votes and reports what changed", async () => {
    await scope.start({ tools: { a: () => 1, b: () => 2 } });
    const agent = await join("agent-1");
    const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["a", "b"]), approval: { quorum: 2 } });
    const r1 = await join("rev-1");
    await r1.ok("plan:join", { planId });
    await r1.ok("plan:vote", { planId, version: 1, decision: "approve" });
    const revised = await agent.ok("plan:revise", { planId, version: 1, steps: [{ id: "s1", tool: "a", params: { n: 5 } }, { id: "s3", tool: "b" }] });
    expect(revised.version).toBe(2);
    const event = await r1.waitFor((e) => e.type === "plan.revised");
    expect(event.type === "plan.revised" && event.data).toMatchObject({ dismissedVotes: 1, changes: { stepsAdded: ["s3"], stepsRemoved: ["s2"], stepsChanged: ["s1"] } });
    const stale = await r1.cmd("plan:vote", { planId, version: 1, decision: "approve" });
    expect(!stale.ok && stale.error.code).toBe("CONFLICT");
    const { snapshot } = await r1.ok("plan:join", { planId });
    expect(snapshot.votes).toEqual([]);
    expect(snapshot.plan.version).toBe(2);
    const other = await join("agent-2");
    const foreign = await other.cmd("plan:revise", { planId, version: 2, description: "mine now" });
    expect(!foreign.ok && foreign.error.code).toBe("FORBIDDEN");
  });

  it("revision changes only the options it names: the others keep their values", async () => {
    await scope.start({ tools: { a: () => 1, b: () => 2 } });
    const agent = await join("agent-1");
    const { planId } = await agent.ok("plan:submit", { plan: { ...chainPlan(["a", "b"]), options: { maxParallelSteps: 7, stepTimeoutMs: 1_234 } } });
    const reviewer = await join("rev-1");
    await reviewer.ok("plan:join", { planId });
    await agent.ok("plan:revise", { planId, version: 1, options: { stopOnError: false } });
    const event = await reviewer.waitFor((e) => e.type === "plan.revised");
    const { snapshot } = await reviewer.ok("plan:join", { planId });
    expect(snapshot.plan.options).toMatchObject({ maxParallelSteps: 7, stepTimeoutMs: 1_234, stopOnError: false });
    expect(event.type === "plan.revised" && event.data.changes.options).toEqual(["stopOnError"]);
  });

  it("holds the submitted policy to the server's approval rules, storing nothing it refuses", async () => {
    await scope.start({ tools: { t: () => 1 }, approvalRules: { minQuorum: 2 } });
    const agent = await join("agent-1");
    const self = await agent.cmd("plan:submit", { plan: chainPlan(["t"]), approval: { quorum: 2, reviewers: ["agent-1", "reviewer"], allowSelfApproval: true } });
    expect(!self.ok && self.error).toMatchObject({ code: "FORBIDDEN", issues: [{ path: ["approval", "allowSelfApproval"] }] });
    const low = await agent.cmd("plan:submit", { plan: chainPlan(["t"]), approval: { quorum: 1 } });
    expect(!low.ok && low.error.code).toBe("VALIDATION");
    const unreachable = await agent.cmd("plan:submit", { plan: chainPlan(["t"]), approval: { quorum: 2, reviewers: ["rev-1"] } });
    expect(!unreachable.ok && unreachable.error.message).toMatch(/only 1 principal/);
    expect((await agent.ok("plans:list", {})).plans).toEqual([]);
    expect((await agent.ok("plan:submit", { plan: chainPlan(["t"]), approval: { quorum: 2 } })).seq).toBe(1);
  });
});
