import { describe, expect, it } from "vitest";
import { ApprovalPolicySchema, ExecutionPlan, PlanroomError, type PlanEvent, type PlanEventOf, type Principal } from "../../../shared/index.js";
import { castVote } from "../../../server/rooms/approval.js";
import { PlanRoom } from "../../../server/rooms/plan-room.js";
import type { PlanRoomDeps, RecordedFrom } from "../../../server/rooms/plan-room-deps.js";
import { AppendConflictError } from "../../../server/store/append-conflict.js";
import { createMemoryStore } from "../../../server/store/memory-store.js";
import type { LeaseToken, Store } from "../../../server/store/store.js";

/**
 * A log several rooms share, as several server nodes share a database: appends are a
 * compare-and-set on the head (and on the lease when one is given), answered after a turn of the
 * event loop so that writers really interleave.
 */
function sharedStore(): Store & { lease: Map<string, LeaseToken>; failNext: Error | undefined; appends: number; conflicts: number } {
  const base = createMemoryStore();
  const heads = new Map<string, number>();
  const store = {
    ...base,
    sharedWriters: true,
    lease: new Map<string, LeaseToken>(),
    failNext: undefined as Error | undefined,
    appends: 0,
    conflicts: 0,
    async append(events: PlanEvent[], options?: { lease?: LeaseToken }) {
      await new Promise((r) => setImmediate(r));
      const planId = events[0]!.planId;
      if (store.failNext) {
        const error = store.failNext;
        store.failNext = undefined;
        throw error;
      }
      const head = heads.get(planId) ?? 0;
      if (events[0]!.seq !== head + 1) {
        store.conflicts++;
        throw new AppendConflictError(`plan ${planId}: expected event ${head + 1}`, { kind: "seq", head });
      }
      const current = store.lease.get(planId);
      if (options?.lease && (current?.owner !== options.lease.owner || current.epoch !== options.lease.epoch)) {
        throw new AppendConflictError(`plan ${planId}: lease not current`, { kind: "lease", owner: current?.owner ?? null, epoch: current?.epoch ?? 0 });
      }
      heads.set(planId, head + events.length);
      store.appends++;
      await base.append(events);
    },
  };
  return store;
}

/** A room's deps that record what it broadcast and what it was told. */
function roomDeps(store: Store) {
  const shown: number[] = [];
  const recorded: RecordedFrom["origin"][] = [];
  const faults: unknown[] = [];
  const deps: PlanRoomDeps<PlanRoom> = {
    store,
    broadcast: (event) => shown.push(event.seq),
    onFault: (error) => faults.push(error),
    onRecorded: (_room, from) => recorded.push(from.origin),
    onStatusChange: () => {},
    onPresenceChange: () => {},
  };
  return { deps, shown, recorded, faults };
}

function submitted(planId: string, quorum: number): PlanEventOf<"plan.submitted"> {
  const plan = ExecutionPlan.fromInput({ description: "d", steps: [{ id: "s1", tool: "t" }] }, { id: planId, clock: () => 1 }).toJSON();
  plan.status = "pending_approval";
  return { planId, seq: 1, type: "plan.submitted", at: 1, data: { plan, policy: ApprovalPolicySchema.parse({ quorum }), submittedBy: { id: "agent-1", name: "Agent" }, tools: [], autoExecute: false } };
}

const reviewer = (n: number): Principal => ({ id: `rev-${n}`, name: `Reviewer ${n}`, roles: ["reviewer"] });
const approve = (room: PlanRoom, n: number) => room.command((head) => castVote(head, reviewer(n), { version: 1, decision: "approve" }, 2, 5, ["reviewer", "admin"]).events);

/** Two rooms of one stored plan, as two nodes would load it. */
async function twoRooms(quorum: number) {
  const store = sharedStore();
  await store.open();
  await store.append([submitted("p1", quorum)]);
  const a = roomDeps(store);
  const b = roomDeps(store);
  const roomA = new PlanRoom((await store.loadPlan("p1"))!, a.deps);
  const roomB = new PlanRoom((await store.loadPlan("p1"))!, b.deps);
  return { store, roomA, roomB, a, b };
}

describe("a room with other writers on a shared store", () => {
  it("two votes in the same tick on two rooms: the second catches up and completes the quorum, approved exactly once", async () => {
    const { store, roomA, roomB, a, b } = await twoRooms(2);
    const [fromA, fromB] = await Promise.all([approve(roomA, 1), approve(roomB, 2)]);
    expect(store.conflicts).toBeGreaterThan(0);
    const log = await store.readEvents("p1");
    expect(log.map((e) => e.type)).toEqual(["plan.submitted", "vote.cast", "vote.cast", "plan.approved"]);
    // exactly one of the two commands decided the approval, after the other's vote
    const approving = [fromA, fromB].filter((events) => events.some((e) => e.type === "plan.approved"));
    expect(approving).toHaveLength(1);
    expect(approving[0]!.map((e) => e.seq)).toEqual([3, 4]);
    // the room that lost the race showed the winner's vote before its own events; the other learns of them by an offer
    const loser = fromA.length === 2 ? { room: roomA, seen: a } : { room: roomB, seen: b };
    const winner = loser.room === roomA ? { room: roomB, seen: b } : { room: roomA, seen: a };
    expect(loser.seen.shown).toEqual([2, 3, 4]);
    winner.room.offer(log.slice(2));
    expect(winner.seen.shown).toEqual([2, 3, 4]);
    expect(winner.seen.recorded.at(-1)).toBe("remote");
    for (const room of [roomA, roomB]) {
      expect(room.durable.plan.status).toBe("approved");
      expect(room.head).toEqual(room.durable);
    }
  });

  it("a command that is illegal once the other writer's events are in is refused with its reason, and nothing of it is stored", async () => {
    const { store, roomA, roomB } = await twoRooms(1);
    const [won, lost] = await Promise.allSettled([approve(roomA, 1), approve(roomB, 2)]);
    expect(won.status).toBe("fulfilled");
    expect(lost.status).toBe("rejected");
    expect((lost as PromiseRejectedResult).reason).toMatchObject({ code: "INVALID_STATE", message: expect.stringContaining("voting is closed") });
    expect((await store.readEvents("p1")).map((e) => e.type)).toEqual(["plan.submitted", "vote.cast", "plan.approved"]);
    expect(roomB.head.plan.status).toBe("approved");
  });

  it("offered events are shown once each, in seq order; a gap is read from the store", async () => {
    const { store, roomA, roomB, b } = await twoRooms(3);
    await approve(roomA, 1);
    await approve(roomA, 2);
    await approve(roomA, 3);
    const log = await store.readEvents("p1");
    roomB.offer([log[3]!]); // seq 4 first: waits for 2 and 3
    expect(b.shown).toEqual([]);
    roomB.offer([log[2]!, log[3]!]); // 3 again with 4 again: still waiting for 2
    expect(b.shown).toEqual([]);
    // seq 2 never comes: after the gap timeout it is read from the store
    await expect.poll(() => b.shown, { timeout: 2_000, interval: 10 }).toEqual([2, 3, 4, 5]);
    roomB.offer(log); // everything again: nothing shown twice
    expect(b.shown).toEqual([2, 3, 4, 5]);
    expect(roomB.durable.plan.status).toBe("approved");
  });

  it("`behind` reads what another writer committed up to a seq", async () => {
    const { roomA, roomB, b } = await twoRooms(2);
    await approve(roomA, 1);
    roomB.behind(2);
    await expect.poll(() => b.shown, { timeout: 2_000, interval: 10 }).toEqual([2]);
    expect(roomB.head.votes.map((v) => v.voterId)).toEqual(["rev-1"]);
  });

  it("a fenced executor's events are refused while a command written with them is decided again and stored", async () => {
    const { store, roomA } = await twoRooms(2);
    store.lease.set("p1", { owner: "node-b", epoch: 2 });
    // (a vote stands in for an executor's event here: any event written under a lease is fenced alike)
    const stale = roomA.record(castVote(roomA.head, reviewer(1), { version: 1, decision: "approve" }, 2, 5, ["reviewer"]).events, { lease: { owner: "node-a", epoch: 1 } });
    const vote = approve(roomA, 2);
    await expect(stale).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringContaining("fenced") });
    expect((await vote).map((e) => [e.type, e.seq])).toEqual([["vote.cast", 2]]);
    expect((await store.readEvents("p1")).map((e) => (e.type === "vote.cast" ? e.data.vote.voterId : e.type))).toEqual(["plan.submitted", "rev-2"]);
    expect(roomA.head.votes.map((v) => v.voterId)).toEqual(["rev-2"]);
    expect(roomA.faulted).toBe(false);
  });

  it("a failed write does not end the room: the command is refused, and the next one catches up with the log first", async () => {
    const { store, roomA, roomB, a } = await twoRooms(3);
    store.failNext = new Error("connection terminated");
    await expect(approve(roomA, 1)).rejects.toMatchObject({ code: "OUTCOME_UNKNOWN" });
    expect(roomA.faulted).toBe(false);
    expect(a.faults).toEqual([]);
    await approve(roomB, 2); // meanwhile another node wrote
    const events = await approve(roomA, 3);
    expect(events.map((e) => e.seq)).toEqual([3]);
    expect(a.shown).toEqual([2, 3]);
    expect(roomA.durable.votes.map((v) => v.voterId)).toEqual(["rev-2", "rev-3"]);
  });

  it("a command decided again more than 8 times in a row is refused with CONFLICT", async () => {
    const { store, roomA } = await twoRooms(3);
    const append = store.append.bind(store);
    let n = 0;
    store.append = async (events, options) => {
      if (events[0]!.seq > 1 && n++ < 20) throw new AppendConflictError("moved", { kind: "seq", head: 1 });
      return append(events, options);
    };
    const error = await approve(roomA, 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlanroomError);
    expect(error).toMatchObject({ code: "CONFLICT", message: expect.stringContaining("8 times in a row") });
  });
});
