import { describe, expect, it } from "vitest";
import { ApprovalPolicySchema, ExecutionPlan, type PlanEvent, type PlanEventOf } from "../../../shared/index.js";
import { castVote } from "../../../server/rooms/approval.js";
import { AgentQuota } from "../../../server/rooms/agent-quota.js";
import type { PlanRoom } from "../../../server/rooms/plan-room.js";
import { RoomDirectory } from "../../../server/rooms/room-directory.js";
import { RoomReactions } from "../../../server/rooms/room-reactions.js";
import { silentLogger } from "../../../server/runtime/logger.js";
import { createMemoryStore } from "../../../server/store/memory-store.js";
import { ManualClock, settle } from "../../support/manual-clock.js";

const REVIEWER = { id: "reviewer-1", name: "Reviewer 1", roles: ["reviewer" as const] };

/** The events of the one vote that approves a plan of quorum 1. */
function approvingVote(room: PlanRoom, now: number) {
  const { events, outcome } = castVote(room.head, REVIEWER, { version: 1, decision: "approve" }, now, 1, ["reviewer"]);
  expect(outcome).toBe("approved");
  return events;
}

/** A directory whose reactions run on a manual clock, with runs that only note what was asked of them. */
async function setUp() {
  const clock = new ManualClock();
  const store = createMemoryStore();
  await store.open();
  const started: { planId: string; actor: string }[] = [];
  const broadcast: PlanEvent[] = [];
  const runs = {
    isRunning: () => false,
    start: (room: PlanRoom, actor: string) => {
      started.push({ planId: room.id, actor });
      return Promise.resolve(room.seq);
    },
    recover: (room: PlanRoom) => Promise.resolve(room.seq),
  };
  const reactions = new RoomReactions({ store, clock, log: silentLogger, runs, quota: new AgentQuota(), broadcast: { event: (_room, e) => broadcast.push(e), presence: () => {} } });
  const directory = new RoomDirectory({ store, reactions, runs: { holding: () => undefined }, limits: { finishedRoomsCached: 1_000, finishedRoomsBytes: 64 * 1024 * 1024 } });
  const submit = async (policy: object, autoExecute = false): Promise<PlanRoom> => {
    const plan = ExecutionPlan.fromInput({ description: "d", steps: [{ id: "a", tool: "echo" }] }, { clock: () => clock.now() }, { hasTool: () => true });
    plan.submitForApproval();
    const submitted = {
      type: "plan.submitted",
      at: clock.now(),
      actor: "agent-1",
      planId: plan.id,
      seq: 1,
      data: { plan: plan.toJSON(), policy: ApprovalPolicySchema.parse(policy), submittedBy: { id: "agent-1", name: "Agent" }, tools: [], autoExecute },
    } satisfies PlanEventOf<"plan.submitted">;
    const room = directory.create(submitted);
    await room.settled();
    directory.add(room);
    return room;
  };
  return { clock, directory, started, broadcast, submit, stop: () => reactions.stop() };
}

describe("RoomReactions: a command only records events, the room reacts", () => {
  it("expires a pending plan when its time is up, once", async () => {
    const kit = await setUp();
    const room = await kit.submit({ quorum: 1, expiresInMs: 1_000 });
    await kit.clock.advance(999);
    expect(room.head.plan.status).toBe("pending_approval");
    await kit.clock.advance(1);
    await settle();
    expect(room.head.plan.status).toBe("expired");
    expect(kit.broadcast.filter((e) => e.type === "plan.expired")).toHaveLength(1);
    expect(kit.clock.pendingTimers).toBe(0);
  });

  it("clears the expiry timer when an event recorded by anyone ends the wait", async () => {
    const kit = await setUp();
    const room = await kit.submit({ quorum: 1, expiresInMs: 1_000 });
    expect(kit.clock.pendingTimers).toBe(1);
    // Recorded straight on the room, as any future command would: no call to reschedule anything.
    await room.record([{ type: "plan.cancelled", at: kit.clock.now(), actor: "agent-1", data: { reason: "no longer needed" } }]);
    expect(kit.clock.pendingTimers).toBe(0);
    await kit.clock.advance(5_000);
    expect(room.head.plan.status).toBe("cancelled");
  });

  it("starts an auto-execute plan as the principal whose vote approved it", async () => {
    const kit = await setUp();
    const room = await kit.submit({ quorum: 1 }, true);
    await room.record(approvingVote(room, kit.clock.now()));
    expect(kit.started).toEqual([{ planId: room.id, actor: "reviewer-1" }]);
  });

  it("does not start a plan approved without autoExecute", async () => {
    const kit = await setUp();
    const room = await kit.submit({ quorum: 1 }, false);
    await room.record(approvingVote(room, kit.clock.now()));
    expect(room.head.plan.status).toBe("approved");
    expect(kit.started).toEqual([]);
  });
});
