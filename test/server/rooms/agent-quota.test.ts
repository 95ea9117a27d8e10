import { afterEach, describe, expect, it } from "vitest";
import { AgentQuota, paramsBytes } from "../../../server/rooms/agent-quota.js";
import type { PlanroomServer } from "../../../server/app/create-server.js";
import { createMemoryStore } from "../../../server/store/memory-store.js";
import type { PlanState } from "../../../shared/index.js";
import { chainPlan, connect, startTestServer, type TestClient } from "../../support/planroom-test-kit.js";

const servers: PlanroomServer[] = [];
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
});
async function start(options: Parameters<typeof startTestServer>[0]): Promise<PlanroomServer> {
  const s = await startTestServer(options);
  servers.push(s);
  return s;
}
async function join(server: PlanroomServer, id: string): Promise<TestClient> {
  const c = await connect(server.url, id);
  clients.push(c);
  return c;
}

/** A one-step plan whose params hold about `bytes` bytes. */
function planOf(bytes: number, description = "quota plan") {
  return { description, steps: [{ id: "s1", tool: "t", description: "one step", params: { pad: "x".repeat(Math.max(0, bytes - 10)) } }] };
}

const LIMITS = { maxOpenPlansPerAgent: 3, maxOpenPlanBytesPerAgent: 10_000 };

describe("AgentQuota (the counts)", () => {
  const state = (id: string, agentId: string, status: PlanState["plan"]["status"], pad = 0): PlanState =>
    ({ plan: { id, status, steps: [{ params: { pad: "y".repeat(pad) } }] }, submittedBy: { id: agentId, name: agentId } }) as unknown as PlanState;

  it("counts open plans and their bytes per submitter, incrementally, and frees them at a finished status", () => {
    const quota = new AgentQuota();
    quota.track(state("p1", "a", "pending_approval"), 100);
    quota.track(state("p2", "a", "approved"), 50);
    quota.track(state("p3", "b", "executing"), 7);
    expect(quota.usage("a")).toEqual({ plans: 2, bytes: 150 });
    expect(quota.usage("b")).toEqual({ plans: 1, bytes: 7 });
    // Tracking the same state again changes nothing; a later state keeps the measured bytes.
    quota.track(state("p1", "a", "pending_approval"));
    quota.track(state("p2", "a", "executing"));
    expect(quota.usage("a")).toEqual({ plans: 2, bytes: 150 });
    for (const finished of ["completed", "failed", "cancelled", "rejected", "expired"] as const) {
      quota.track(state("p1", "a", finished));
      expect(quota.usage("a")).toEqual({ plans: 1, bytes: 50 });
    }
    // Resumed: it counts again, with its size.
    quota.track(state("p1", "a", "pending_approval"));
    expect(quota.usage("a")).toEqual({ plans: 2, bytes: 150 });
    quota.resize("p1", 10);
    expect(quota.usage("a")).toEqual({ plans: 2, bytes: 60 });
    quota.forget("p1");
    quota.forget("p2");
    expect(quota.usage("a")).toEqual({ plans: 0, bytes: 0 });
  });

  it("measures an untracked plan's params once (a restored plan)", () => {
    const quota = new AgentQuota();
    const restored = state("p1", "a", "pending_approval", 1_000);
    quota.track(restored);
    expect(quota.bytesOf("p1")).toBe(paramsBytes(restored.plan.steps));
    expect(quota.usage("a").bytes).toBe(JSON.stringify({ pad: "y".repeat(1_000) }).length);
  });

  it("refuses past either limit, names it, and never refuses a change that does not grow", () => {
    const quota = new AgentQuota();
    quota.track(state("p1", "a", "pending_approval"), 9_000);
    quota.track(state("p2", "a", "pending_approval"), 500);
    quota.track(state("p3", "a", "pending_approval"), 500);
    expect(() => quota.check("a", { plans: 1, bytes: 0 }, LIMITS)).toThrow(/limits\.maxOpenPlansPerAgent = 3/);
    expect(() => quota.check("a", { plans: 0, bytes: 1 }, LIMITS)).toThrow(/10000 one agent may have \(limits\.maxOpenPlanBytesPerAgent\)/);
    expect(() => quota.check("a", { plans: 0, bytes: -100 }, LIMITS)).not.toThrow();
    expect(() => quota.check("b", { plans: 1, bytes: 9_999 }, LIMITS)).not.toThrow();
    try {
      quota.check("a", { plans: 1, bytes: 0 }, LIMITS);
    } catch (error) {
      expect(error).toMatchObject({ code: "QUOTA_EXCEEDED", message: expect.stringMatching(/finish or cancel/) });
    }
  });
});

describe("one agent cannot exhaust the server", () => {
  it("agent A hits QUOTA_EXCEEDED on the count while agent B submits, is voted on and runs; cancelling, rejecting and finishing free room", async () => {
    const server = await start({ tools: { t: () => "done" }, limits: LIMITS });
    const a = await join(server, "agent-1");
    const b = await join(server, "agent-2");
    const rev = await join(server, "rev-1");

    const open: string[] = [];
    for (let i = 0; i < 3; i++) open.push((await a.ok("plan:submit", { plan: chainPlan(["t"], `a${i}`) })).planId);
    const refused = await a.cmd("plan:submit", { plan: chainPlan(["t"], "a3") });
    expect(refused).toMatchObject({ ok: false, error: { code: "QUOTA_EXCEEDED" } });
    if (!refused.ok) expect(refused.error.message).toMatch(/3 open plans .*maxOpenPlansPerAgent = 3.*cancel/);

    // Agent B is not affected: it submits, a reviewer approves, it runs to the end.
    const { planId: bPlan } = await b.ok("plan:submit", { plan: chainPlan(["t", "t"]) });
    await rev.ok("plan:join", { planId: bPlan });
    await rev.ok("plan:vote", { planId: bPlan, version: 1, decision: "approve" });
    await b.ok("plan:execute", { planId: bPlan });
    await rev.waitFor((e) => e.planId === bPlan && e.type === "plan.completed");

    // Cancelling one of A's plans frees one slot, exactly.
    await a.ok("plan:cancel", { planId: open[0] as string });
    const again = await a.ok("plan:submit", { plan: chainPlan(["t"], "a3") });
    expect(await a.cmd("plan:submit", { plan: chainPlan(["t"], "a4") })).toMatchObject({ ok: false, error: { code: "QUOTA_EXCEEDED" } });

    // A rejection frees a slot.
    await rev.ok("plan:vote", { planId: open[1] as string, version: 1, decision: "reject" });
    const afterReject = await a.ok("plan:submit", { plan: chainPlan(["t"], "a5") });
    expect(await a.cmd("plan:submit", { plan: chainPlan(["t"], "a6") })).toMatchObject({ ok: false, error: { code: "QUOTA_EXCEEDED" } });

    // An approved plan still counts; once it has run to completion it does not.
    await rev.ok("plan:join", { planId: again.planId });
    await rev.ok("plan:vote", { planId: again.planId, version: 1, decision: "approve" });
    expect(await a.cmd("plan:submit", { plan: chainPlan(["t"], "a7") })).toMatchObject({ ok: false, error: { code: "QUOTA_EXCEEDED" } });
    await a.ok("plan:execute", { planId: again.planId });
    await rev.waitFor((e) => e.planId === again.planId && e.type === "plan.completed");
    await a.ok("plan:submit", { plan: chainPlan(["t"], "a8") });
    expect(await a.cmd("plan:submit", { plan: chainPlan(["t"], "a9") })).toMatchObject({ ok: false, error: { code: "QUOTA_EXCEEDED" } });
    expect(afterReject.planId).not.toBe(again.planId);
  });

  it("counts the bytes of params: a plan, or a revision, past the byte limit is refused; a shrinking revision and a cancellation free bytes", async () => {
    const server = await start({ tools: { t: () => 1 }, limits: { maxOpenPlansPerAgent: 100, maxOpenPlanBytesPerAgent: 10_000 } });
    const a = await join(server, "agent-1");
    const b = await join(server, "agent-2");
    const first = await a.ok("plan:submit", { plan: planOf(4_000) });
    const second = await a.ok("plan:submit", { plan: planOf(4_000) });
    const big = await a.cmd("plan:submit", { plan: planOf(4_000) });
    expect(big).toMatchObject({ ok: false, error: { code: "QUOTA_EXCEEDED" } });
    if (!big.ok) expect(big.error.message).toMatch(/hold \d+ bytes of step params.*10000 one agent may have \(limits\.maxOpenPlanBytesPerAgent\)/);
    // A small one still fits.
    const small = await a.ok("plan:submit", { plan: planOf(500) });
    // Agent B has its own budget.
    await b.ok("plan:submit", { plan: planOf(9_000) });

    // A revision that grows past the limit is refused and leaves the plan as it was.
    const grow = await a.cmd("plan:revise", { planId: small.planId, version: 1, steps: planOf(3_000).steps });
    expect(grow).toMatchObject({ ok: false, error: { code: "QUOTA_EXCEEDED" } });
    // One that shrinks is accepted and frees bytes: now the 4 KB plan fits.
    await a.ok("plan:revise", { planId: second.planId, version: 1, steps: planOf(100).steps });
    const third = await a.ok("plan:submit", { plan: planOf(4_000) });
    expect(await a.cmd("plan:submit", { plan: planOf(2_000) })).toMatchObject({ ok: false, error: { code: "QUOTA_EXCEEDED" } });
    await a.ok("plan:cancel", { planId: first.planId });
    await a.ok("plan:submit", { plan: planOf(2_000) });
    expect(third.planId).toBeTruthy();
  });

  it("checks the quota before the write: of submissions racing in one tick, only as many as fit are accepted", async () => {
    const server = await start({ tools: { t: () => 1 }, limits: LIMITS, rateLimit: { burst: 1_000, perSecond: 1_000 } });
    const a = await join(server, "agent-1");
    const acks = await Promise.all(Array.from({ length: 20 }, (_, i) => a.cmd("plan:submit", { plan: chainPlan(["t"], `race ${i}`) })));
    expect(acks.filter((r) => r.ok)).toHaveLength(3);
    expect(acks.filter((r) => !r.ok && r.error.code === "QUOTA_EXCEEDED")).toHaveLength(17);
  });

  it("the counts survive a restart: restored plans count (open ones only) and still free room when they finish", async () => {
    const store = createMemoryStore();
    const first = await start({ store, tools: { t: () => 1 }, limits: LIMITS, shutdownGraceMs: 50 });
    const a1 = await join(first, "agent-1");
    const rev1 = await join(first, "rev-1");
    const kept: string[] = [];
    for (let i = 0; i < 2; i++) kept.push((await a1.ok("plan:submit", { plan: planOf(4_000, `kept ${i}`) })).planId);
    // A finished plan: it must not count after the restart either.
    const done = await a1.ok("plan:submit", { plan: planOf(1_000, "done") });
    await rev1.ok("plan:join", { planId: done.planId });
    await rev1.ok("plan:vote", { planId: done.planId, version: 1, decision: "approve" });
    await a1.ok("plan:execute", { planId: done.planId });
    await rev1.waitFor((e) => e.planId === done.planId && e.type === "plan.completed");
    a1.close();
    rev1.close();
    await first.close();
    servers.splice(servers.indexOf(first), 1);

    const second = await start({ store, tools: { t: () => 1 }, limits: LIMITS });
    const a2 = await join(second, "agent-1");
    // Two open plans of 4 KB each are restored: bytes (8 KB + 4 KB > 10 KB) refuse a 4 KB plan ...
    expect(await a2.cmd("plan:submit", { plan: planOf(4_000) })).toMatchObject({ ok: false, error: { code: "QUOTA_EXCEEDED" } });
    // ... while a small third one fits (the completed plan does not count) ...
    await a2.ok("plan:submit", { plan: planOf(500, "third") });
    // ... and the count then refuses a fourth.
    const fourth = await a2.cmd("plan:submit", { plan: planOf(100) });
    expect(fourth).toMatchObject({ ok: false, error: { code: "QUOTA_EXCEEDED" } });
    if (!fourth.ok) expect(fourth.error.message).toMatch(/3 open plans/);
    // Cancelling a restored plan frees its slot and its bytes.
    await a2.ok("plan:cancel", { planId: kept[0] as string });
    await a2.ok("plan:submit", { plan: planOf(4_000, "after restart") });
  });
});
