import { describe, expect, it } from "vitest";
import { ApprovalPolicySchema, ExecutionPlan, type PlanEventOf } from "../../../shared/index.js";
import { AgentQuota } from "../../../server/rooms/agent-quota.js";
import { RoomDirectory } from "../../../server/rooms/room-directory.js";
import { RoomReactions } from "../../../server/rooms/room-reactions.js";
import { silentLogger } from "../../../server/runtime/logger.js";
import { createMemoryStore } from "../../../server/store/memory-store.js";
import type { Store } from "../../../server/store/store.js";
import { ManualClock, settle } from "../../support/manual-clock.js";
import { metricValue, parseMetrics } from "../../support/metrics-text.js";
import { chainPlan, connect, startTestServer, useTestServer } from "../../support/planroom-test-kit.js";
import { tokenOf } from "../../support/test-principals.js";

const scope = useTestServer();

/** A memory store that notes every plan it is asked to load. */
function countingStore(inner: Store = createMemoryStore()): { store: Store; loads: string[] } {
  const loads: string[] = [];
  return {
    loads,
    store: {
      ...inner,
      loadPlan(planId) {
        loads.push(planId);
        return inner.loadPlan(planId);
      },
    },
  };
}

/** The rooms gauges of a server: rooms in memory, and the finished ones cached. */
async function roomsInMemory(url: string): Promise<{ all: number; finished: number }> {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${tokenOf("root")}` } });
  const samples = parseMetrics(await res.text());
  return { all: metricValue(samples, "planroom_rooms_in_memory"), finished: metricValue(samples, "planroom_finished_rooms_cached") };
}

/** `GET path` as `who`, parsed. */
async function getJson(url: string, path: string, who: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${tokenOf(who)}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Lets the directory's deferred trim run (it waits for a later pass of the event loop). */
const passes = async (n = 3): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

describe("RoomDirectory: memory holds what is live", () => {
  it("a finished plan evicted and loaded again is identical: state, join snapshot, events, its HTTP read", async () => {
    const { store, loads } = countingStore();
    const server = await scope.start({ store, tools: { t: (p) => Number(p.n) * 2 }, limits: { finishedRoomsCached: 0 } });
    const agent = await scope.join("agent-1");
    const reviewer = await scope.join("rev-1");
    const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["t", "t", "t"]), approval: { reviewers: ["rev-1"] }, autoExecute: true });
    await reviewer.ok("plan:join", { planId });
    await reviewer.ok("plan:vote", { planId, version: 1, decision: "approve" });
    await reviewer.waitFor((e) => e.type === "plan.completed");

    // A member keeps the finished room in memory, whatever the bound.
    const before = await reviewer.ok("plan:join", { planId, afterSeq: 0 });
    const readBefore = await getJson(server.url, `/api/plans/${planId}`, "rev-1");
    await passes();
    expect(await roomsInMemory(server.url)).toEqual({ all: 1, finished: 1 });
    const listedBefore = await reviewer.ok("plans:list", {});

    await reviewer.ok("plan:leave", { planId });
    await passes();
    expect(await roomsInMemory(server.url)).toEqual({ all: 0, finished: 0 });
    expect(loads).toEqual([]);

    const after = await reviewer.ok("plan:join", { planId, afterSeq: 0 });
    expect(loads).toEqual([planId]);
    // Presence revisions count per room (a loaded room starts again): the rest is the same.
    expect({ ...after.snapshot, presenceRev: 0 }).toEqual({ ...before.snapshot, presenceRev: 0 });
    expect(after.snapshot.presence).toEqual(before.snapshot.presence);
    expect(after.events).toEqual(before.events);
    expect(after.events.at(-1)?.type).toBe("plan.completed");
    await reviewer.ok("plan:leave", { planId });
    await passes();

    const readAfter = await getJson(server.url, `/api/plans/${planId}`, "rev-1");
    expect(readAfter).toEqual(readBefore);
    expect(loads).toEqual([planId, planId]);
    expect(await reviewer.ok("plans:list", {})).toEqual(listedBefore);
  });

  it("plan:join, plan:vote, plan:resume and GET /api/plans/:id on an evicted plan load it, once for concurrent asks, with the same answers and access checks", async () => {
    const { store, loads } = countingStore();
    const server = await scope.start({ store, tools: { t: () => 1 }, limits: { finishedRoomsCached: 0 } });
    const agent = await scope.join("agent-1");
    const reviewer = await scope.join("rev-1");
    const stranger = await scope.join("rev-2");
    const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["t"]), approval: { reviewers: ["rev-1"] } });
    await agent.ok("plan:cancel", { planId });
    await passes();
    expect(await roomsInMemory(server.url)).toEqual({ all: 0, finished: 0 });

    // Two joins at once share one load.
    const [a, b] = await Promise.all([reviewer.ok("plan:join", { planId }), agent.ok("plan:join", { planId })]);
    expect(loads).toEqual([planId]);
    expect(a.snapshot.plan.status).toBe("cancelled");
    expect(b.snapshot.seq).toBe(a.snapshot.seq);
    await reviewer.ok("plan:leave", { planId });
    await agent.ok("plan:leave", { planId });
    await passes();
    expect(await roomsInMemory(server.url)).toEqual({ all: 0, finished: 0 });

    // Access checks as for a room in memory (the plan is loaded to answer them).
    const forbidden = await stranger.cmd("plan:join", { planId });
    expect(!forbidden.ok && forbidden.error.code).toBe("FORBIDDEN");
    const missing = await reviewer.cmd("plan:join", { planId: "no-such-plan" });
    expect(!missing.ok && missing.error.code).toBe("NOT_FOUND");
    expect((await getJson(server.url, "/api/plans/no-such-plan", "rev-1")).status).toBe(404);
    expect((await getJson(server.url, `/api/plans/${planId}`, "rev-2")).status).toBe(403);

    await passes();
    const vote = await reviewer.cmd("plan:vote", { planId, version: 1, decision: "approve" });
    expect(!vote.ok && vote.error.code).toBe("INVALID_STATE");
    await passes();
    const read = await getJson(server.url, `/api/plans/${planId}`, "rev-1");
    expect(read.status).toBe(200);
    expect((read.body.plan as { status: string }).status).toBe("cancelled");

    // A resumed plan is live again: it stays in memory, and votes on it count.
    await passes();
    loads.length = 0;
    const resumed = await agent.ok("plan:resume", { planId });
    expect(resumed.status).toBe("pending_approval");
    expect(loads).toEqual([planId]);
    await passes();
    expect(await roomsInMemory(server.url)).toEqual({ all: 1, finished: 0 });
    const approved = await reviewer.ok("plan:vote", { planId, version: 1, decision: "approve" });
    expect(approved.outcome).toBe("approved");
    expect(loads).toEqual([planId]);
  });

  it("keeps finished rooms up to the bound, least recently used out first, and never one with members", async () => {
    const { store, loads } = countingStore();
    const server = await scope.start({ store, tools: { t: () => 1 }, limits: { finishedRoomsCached: 1 } });
    const agent = await scope.join("agent-1");
    const observer = await scope.join("obs");
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await agent.ok("plan:submit", { plan: chainPlan(["t"]) })).planId);
    await passes();
    // Live plans are in memory whatever the bound.
    expect(await roomsInMemory(server.url)).toEqual({ all: 3, finished: 0 });
    await agent.ok("plan:cancel", { planId: ids[0]! });
    await agent.ok("plan:cancel", { planId: ids[1]! });
    await passes();
    // ids[0], the least recently used, is out.
    expect(await roomsInMemory(server.url)).toEqual({ all: 2, finished: 1 });
    await observer.ok("plan:join", { planId: ids[0]! });
    expect(loads).toEqual([ids[0]]);
    await passes();
    // ids[0] is back and has a member: ids[1] makes room for it.
    expect(await roomsInMemory(server.url)).toEqual({ all: 2, finished: 1 });
    await agent.ok("plan:cancel", { planId: ids[2]! });
    await passes();
    // Over the bound, but the room with a member stays: ids[2] goes, though it was used last.
    expect(await roomsInMemory(server.url)).toEqual({ all: 1, finished: 1 });
    await observer.ok("plan:leave", { planId: ids[0]! });
    await passes();
    expect(await roomsInMemory(server.url)).toEqual({ all: 1, finished: 1 });
    await observer.ok("plan:join", { planId: ids[0]! });
    expect(loads).toEqual([ids[0]]);
    await observer.ok("plan:join", { planId: ids[1]! });
    expect(loads).toEqual([ids[0], ids[1]]);

    // A byte bound of 0 keeps none of them idle.
    await scope.server.close();
    const tight = await scope.start({ tools: { t: () => 1 }, limits: { finishedRoomsBytes: 0 } });
    const agent2 = await connect(tight.url, "agent-1");
    try {
      const { planId } = await agent2.ok("plan:submit", { plan: chainPlan(["t"]) });
      await passes();
      expect(await roomsInMemory(tight.url)).toEqual({ all: 1, finished: 0 });
      await agent2.ok("plan:cancel", { planId });
      await passes();
      expect(await roomsInMemory(tight.url)).toEqual({ all: 0, finished: 0 });
    } finally {
      agent2.close();
    }
  });

  it("restores only live plans at start: the finished ones stay in the store, still listed and joinable", async () => {
    const inner = createMemoryStore();
    const first = await startTestServer({ store: inner, tools: { t: () => 1 } });
    const live: string[] = [];
    const finished: string[] = [];
    {
      const agent = await connect(first.url, "agent-1");
      const reviewer = await connect(first.url, "rev-1");
      try {
        for (let i = 0; i < 3; i++) live.push((await agent.ok("plan:submit", { plan: chainPlan(["t"]), approval: { reviewers: ["rev-1"] } })).planId);
        for (let i = 0; i < 2; i++) {
          const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["t"]), approval: { reviewers: ["rev-1"] } });
          await agent.ok("plan:cancel", { planId });
          finished.push(planId);
        }
        const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["t"]), approval: { reviewers: ["rev-1"] } });
        await reviewer.ok("plan:vote", { planId, version: 1, decision: "reject" });
        finished.push(planId);
      } finally {
        agent.close();
        reviewer.close();
      }
      await first.close();
    }

    const { store, loads } = countingStore(inner);
    const server = await scope.start({ store, tools: { t: () => 1 } });
    expect([...loads].sort()).toEqual([...live].sort());
    expect(await roomsInMemory(server.url)).toEqual({ all: 3, finished: 0 });

    const reviewer = await scope.join("rev-1");
    const listed = await reviewer.ok("plans:list", {});
    expect(listed.plans.map((p) => p.id).sort()).toEqual([...live, ...finished].sort());
    expect((await reviewer.ok("plans:list", { status: ["cancelled", "rejected"] })).plans.map((p) => p.id).sort()).toEqual([...finished].sort());
    expect(loads).toHaveLength(3);

    const joined = await reviewer.ok("plan:join", { planId: finished[2]!, afterSeq: 0 });
    expect(joined.snapshot.plan.status).toBe("rejected");
    expect(joined.events.map((e) => e.type)).toEqual(["plan.submitted", "vote.cast", "plan.rejected"]);
    expect(loads).toHaveLength(4);
    // A live plan restored at start answers from memory.
    await reviewer.ok("plan:join", { planId: live[0]! });
    expect(loads).toHaveLength(4);
    expect((await getJson(server.url, "/healthz", "rev-1")).body).toEqual({ ok: true, node: server.nodeId, plans: 6 });
  });
});

describe("RoomDirectory: eviction", () => {
  it("keeps a finished room while a run holds it, then lets it go with its quota entry; asking again loads a new room", async () => {
    const clock = new ManualClock();
    const store = createMemoryStore();
    await store.open();
    const quota = new AgentQuota();
    const held = new Map<string, Promise<void>>();
    const runs = { isRunning: () => false, start: () => Promise.resolve(0), recover: () => Promise.resolve(0), holding: (planId: string) => held.get(planId) };
    const reactions = new RoomReactions({ store, clock, log: silentLogger, runs, quota, broadcast: { event: () => {}, presence: () => {} } });
    const directory = new RoomDirectory({ store, reactions, runs, limits: { finishedRoomsCached: 0, finishedRoomsBytes: 1_000_000 } });
    const plan = ExecutionPlan.fromInput({ description: "d", steps: [{ id: "a", tool: "echo" }] }, { clock: () => clock.now() }, { hasTool: () => true });
    plan.submitForApproval();
    const submitted = {
      type: "plan.submitted",
      at: clock.now(),
      actor: "agent-1",
      planId: plan.id,
      seq: 1,
      data: { plan: plan.toJSON(), policy: ApprovalPolicySchema.parse({}), submittedBy: { id: "agent-1", name: "Agent" }, tools: [], autoExecute: false },
    } satisfies PlanEventOf<"plan.submitted">;
    const room = directory.create(submitted);
    await room.settled();
    directory.add(room);
    expect(quota.bytesOf(room.id)).toBeDefined();

    let release!: () => void;
    held.set(room.id, new Promise<void>((resolve) => (release = resolve)));
    await room.record([{ type: "plan.cancelled", at: clock.now(), actor: "agent-1", data: { reason: "done" } }]);
    await settle();
    await settle();
    expect(directory.get(room.id)).toBe(room);
    held.delete(room.id);
    release();
    await settle();
    await settle();
    expect(directory.get(room.id)).toBeUndefined();
    expect(quota.bytesOf(room.id)).toBeUndefined();
    expect(directory.finishedInMemory).toEqual({ rooms: 0, bytes: 0 });

    const again = await directory.visible(room.id, { id: "agent-1", name: "Agent", roles: ["agent"] });
    expect(again).not.toBe(room);
    expect(again.durable).toEqual(room.durable);
    expect(quota.bytesOf(room.id)).toBeDefined();
    expect(quota.usage("agent-1")).toEqual({ plans: 0, bytes: 0 });
    reactions.stop();
  });
});

describe("plan lists page through the plan index", () => {
  it("mayVote: only the plans pending approval the caller may vote on, over the socket and HTTP", async () => {
    // A clock that moves between submissions: newest first is then decided by time, not by the id
    // that breaks ties between plans created in the same millisecond.
    const clock = new ManualClock(1_700_000_000_000);
    const server = await scope.start({ clock, tools: { t: () => 1 } });
    const agent = await scope.join("agent-1");
    const rev1 = await scope.join("rev-1");
    const rev2 = await scope.join("rev-2");
    const obs = await scope.join("obs");
    const submit = async (reviewers: string[]) => {
      const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["t"]), approval: { reviewers } });
      await clock.advance(1_000);
      return planId;
    };
    const mine = await submit(["rev-1"]);
    const theirs = await submit(["rev-2"]);
    const both = await submit(["reviewer"]);
    const cancelled = await submit(["rev-1"]);
    await agent.ok("plan:cancel", { planId: cancelled });

    const ids = async (c: typeof rev1, filter: object) => (await c.ok("plans:list", { mayVote: true, ...filter })).plans.map((p) => p.id);
    expect(await ids(rev1, {})).toEqual([both, mine]);
    expect(await ids(rev2, {})).toEqual([both, theirs]);
    // Neither the submitter (no self-approval, no voter role) nor an observer may vote.
    expect(await ids(agent, {})).toEqual([]);
    expect(await ids(obs, {})).toEqual([]);
    expect(await ids(rev1, { submittedBy: "agent-2" })).toEqual([]);
    expect((await rev1.ok("plans:list", { mayVote: false })).plans.map((p) => p.id)).toEqual([cancelled, both, theirs, mine].filter((id) => id !== theirs));
    expect((await rev1.ok("plans:watch", { mayVote: true })).plans.map((p) => p.id)).toEqual([both, mine]);

    const http = await getJson(server.url, "/api/plans?mayVote=true", "rev-1");
    expect((http.body.plans as { id: string }[]).map((p) => p.id)).toEqual([both, mine]);
    expect((await getJson(server.url, "/api/plans?mayVote=maybe", "rev-1")).status).toBe(400);
  });

  it("createdFrom / createdBefore bound the creation time, over the socket and HTTP", async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const server = await scope.start({ clock, tools: { t: () => 1 } });
    const agent = await scope.join("agent-1");
    const ids: string[] = [];
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      times.push(clock.now());
      ids.push((await agent.ok("plan:submit", { plan: chainPlan(["t"]) })).planId);
      await clock.advance(1_000);
    }
    const listed = async (filter: object) => (await agent.ok("plans:list", filter)).plans.map((p) => p.id);
    expect(await listed({ createdFrom: times[1] })).toEqual([ids[2], ids[1]]);
    expect(await listed({ createdBefore: times[1] })).toEqual([ids[0]]);
    expect(await listed({ createdFrom: times[1], createdBefore: times[2] })).toEqual([ids[1]]);
    expect(await listed({ createdFrom: times[2]! + 1 })).toEqual([]);
    const http = await getJson(server.url, `/api/plans?createdFrom=${times[1]}&createdBefore=${times[2]}`, "agent-1");
    expect((http.body.plans as { id: string }[]).map((p) => p.id)).toEqual([ids[1]]);
    const bad = await agent.cmd("plans:list", { createdFrom: -1 });
    expect(!bad.ok && bad.error.code).toBe("VALIDATION");
  });

  it("pages with the cursor across live and evicted plans, ties on createdAt included, as one page would list them", async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const server = await scope.start({ clock, tools: { t: () => 1 }, limits: { finishedRoomsCached: 0 } });
    const agent = await scope.join("agent-1");
    const obs = await scope.join("obs");
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["t"]) });
      ids.push(planId);
      if (i % 2 === 0) await agent.ok("plan:cancel", { planId });
      if (i % 3 === 2) await clock.advance(1); // some plans share a createdAt
    }
    await passes();
    expect((await roomsInMemory(server.url)).finished).toBe(0);
    const whole = (await obs.ok("plans:list", { limit: 500 })).plans;
    expect(whole.map((p) => p.id).sort()).toEqual([...ids].sort());
    for (const limit of [1, 2, 3]) {
      const paged: typeof whole = [];
      let cursor: string | undefined;
      do {
        const page = await obs.ok("plans:list", { limit, ...(cursor ? { cursor } : {}) });
        expect(page.plans.length).toBeLessThanOrEqual(limit);
        paged.push(...page.plans);
        cursor = page.nextCursor;
      } while (cursor);
      expect(paged).toEqual(whole);
    }
    // The same over HTTP, with a status filter.
    const cancelled: string[] = [];
    let cursor: string | undefined;
    do {
      const { body } = await getJson(server.url, `/api/plans?status=cancelled&limit=2${cursor ? `&cursor=${cursor}` : ""}`, "obs");
      cancelled.push(...(body.plans as { id: string }[]).map((p) => p.id));
      cursor = body.nextCursor as string | undefined;
    } while (cursor);
    expect(cancelled).toEqual(whole.filter((p) => p.status === "cancelled").map((p) => p.id));
    const bad = await getJson(server.url, "/api/plans?cursor=garbage", "obs");
    expect(bad.status).toBe(400);
    expect((bad.body.error as { message: string }).message).toBe("invalid cursor");
  });
});
