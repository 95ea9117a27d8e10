import { afterEach, describe, expect, it } from "vitest";
import type { PlanEvent } from "../../../shared/index.js";
import type { PlanroomServer } from "../../../server/app/create-server.js";
import { createMemoryStore } from "../../../server/store/memory-store.js";
import { ManualClock } from "../../support/manual-clock.js";
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
async function join(server: PlanroomServer, id: string, opts?: Parameters<typeof connect>[2]): Promise<TestClient> {
  const c = await connect(server.url, id, opts);
  clients.push(c);
  return c;
}
function expectGapFree(events: PlanEvent[], from: number): void {
  events.forEach((e, i) => expect(e.seq).toBe(from + i));
}

describe("reconnect, restart and expiry", () => {
  it("a reviewer that reconnects catches up with afterSeq: no gap, no duplicate", async () => {
    const server = await start({ tools: { t: () => 1 } });
    const agent = await join(server, "agent-1");
    const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["t", "t", "t"]), approval: { quorum: 2 } });
    const r1 = await join(server, "rev-1");
    const first = await r1.ok("plan:join", { planId });
    const seen = first.snapshot.seq;
    await r1.ok("plan:vote", { planId, version: 1, decision: "approve" });
    await r1.waitFor((e) => e.type === "vote.cast");
    r1.close();
    const r2 = await join(server, "rev-2");
    await r2.ok("plan:join", { planId });
    await r2.ok("plan:vote", { planId, version: 1, decision: "approve" });
    await agent.ok("plan:execute", { planId });
    await r2.waitFor((e) => e.type === "plan.completed");
    const back = await join(server, "rev-1");
    const { snapshot, events } = await back.ok("plan:join", { planId, afterSeq: seen + 1 });
    expectGapFree(events, seen + 2);
    expect(events[events.length - 1]?.seq).toBe(snapshot.seq);
    expect(events[events.length - 1]?.type).toBe("plan.completed");
  });

  it("after a restart on the same store a plan that was executing is recovered and the room catches up", async () => {
    const store = createMemoryStore();
    const first = await start({ store, shutdownGraceMs: 50 });
    const agent = await join(first, "agent-1", { tools: { work: () => new Promise(() => {}) } });
    const rev = await join(first, "rev-1");
    const plan = { ...chainPlan(["work", "work"]), options: { retry: { maxAttempts: 2 } } };
    const { planId } = await agent.ok("plan:submit", { plan, tools: ["work"], autoExecute: true });
    await rev.ok("plan:join", { planId });
    await rev.ok("plan:vote", { planId, version: 1, decision: "approve" });
    await rev.waitFor((e) => e.type === "step.started");
    const lastSeen = rev.events[rev.events.length - 1] as PlanEvent;
    await first.close();
    servers.splice(servers.indexOf(first), 1);
    agent.close();
    rev.close();

    const second = await start({ store, agentGraceMs: 5_000 });
    const back = await join(second, "rev-1");
    const { snapshot, events } = await back.ok("plan:join", { planId, afterSeq: lastSeen.seq });
    expectGapFree(events, lastSeen.seq + 1);
    const all = [...events];
    const agent2 = await join(second, "agent-1", { tools: { work: (req) => ({ ok: true, result: req.attempt }) }, serveTools: [planId] });
    expect(agent2.socket.connected).toBe(true);
    await back.waitFor((e) => e.type === "plan.completed" || e.type === "plan.failed");
    all.push(...back.events);
    expect(all.map((e) => e.type)).toContain("plan.completed");
    expectGapFree(all, lastSeen.seq + 1);
    expect(snapshot.seq).toBe(events[events.length - 1]?.seq ?? lastSeen.seq);
    const retry = all.find((e) => e.type === "step.retrying");
    expect(retry?.type === "step.retrying" && retry.data.error.code).toBe("INTERRUPTED");
    const done = all.filter((e) => e.type === "step.completed");
    expect(done.map((e) => e.type === "step.completed" && [e.data.stepId, e.data.attempt])).toEqual([["s1", 2], ["s2", 1]]);
  });

  it("expires an undecided plan on the injected clock; a revision restarts the clock", async () => {
    const clock = new ManualClock(Date.now());
    const server = await start({ clock, tools: { t: () => 1 } });
    const agent = await join(server, "agent-1");
    const rev = await join(server, "rev-1");
    const submittedAt = clock.now();
    const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["t"]), approval: { expiresInMs: 60_000 } });
    expect((await rev.ok("plan:join", { planId })).snapshot.requestedAt).toBe(submittedAt);
    await clock.advance(40_000);
    await agent.ok("plan:revise", { planId, version: 1, description: "second try" });
    const other = await join(server, "rev-2");
    expect((await other.ok("plan:join", { planId })).snapshot.requestedAt).toBe(submittedAt + 40_000);
    await clock.advance(40_000);
    await new Promise((r) => setTimeout(r, 20));
    expect(rev.events.some((e) => e.type === "plan.expired")).toBe(false);
    await clock.advance(20_000);
    const expired = await rev.waitFor((e) => e.type === "plan.expired");
    expect(expired.at).toBe(clock.now());
    const late = await rev.cmd("plan:vote", { planId, version: 2, decision: "approve" });
    expect(!late.ok && late.error.code).toBe("INVALID_STATE");
    const { snapshot } = await rev.ok("plan:join", { planId });
    expect(snapshot.plan.decision).toMatchObject({ outcome: "expired", by: [] });
  });

  it("waits out an expiry longer than a timer can hold (~24.8 days) instead of expiring at once", async () => {
    const clock = new ManualClock(Date.now());
    const server = await start({ clock, tools: { t: () => 1 } });
    const agent = await join(server, "agent-1");
    const rev = await join(server, "rev-1");
    const day = 86_400_000;
    const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["t"]), approval: { expiresInMs: 29 * day } });
    await rev.ok("plan:join", { planId });
    await clock.advance(25 * day);
    await new Promise((r) => setTimeout(r, 20));
    expect(rev.events.some((e) => e.type === "plan.expired")).toBe(false);
    await clock.advance(4 * day);
    const expired = await rev.waitFor((e) => e.type === "plan.expired");
    expect(expired.at).toBe(clock.now());
  });

  it("keeps the expiry of a pending plan across a restart", async () => {
    const clock = new ManualClock(Date.now());
    const store = createMemoryStore();
    const first = await start({ clock, store, tools: { t: () => 1 } });
    const agent = await join(first, "agent-1");
    const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["t"]), approval: { expiresInMs: 60_000 } });
    await clock.advance(45_000);
    agent.close();
    await first.close();
    servers.splice(servers.indexOf(first), 1);
    const second = await start({ clock, store, tools: { t: () => 1 } });
    const rev = await join(second, "rev-1");
    await rev.ok("plan:join", { planId });
    await clock.advance(14_000);
    await new Promise((r) => setTimeout(r, 20));
    expect(rev.events.some((e) => e.type === "plan.expired")).toBe(false);
    await clock.advance(1_000);
    await rev.waitFor((e) => e.type === "plan.expired");
  });

  it("keeps presence of the room up to date", async () => {
    const server = await start({ tools: { t: () => 1 } });
    const agent = await join(server, "agent-1");
    const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["t"]) });
    await agent.ok("plan:join", { planId });
    const rev = await join(server, "rev-1");
    const { snapshot } = await rev.ok("plan:join", { planId });
    expect(snapshot.presence.map((m) => m.id).sort()).toEqual(["agent-1", "rev-1"]);
    // The agent sees its own arrival and the reviewer's (in one delta or two).
    await expect.poll(() => agent.presence.flatMap((d) => d.joined.map((m) => m.id)), { timeout: 2_000 }).toEqual(["agent-1", "rev-1"]);
    rev.close();
    await expect.poll(() => agent.presence.at(-1)?.left, { timeout: 2_000 }).toEqual(["rev-1"]);
  });
});
