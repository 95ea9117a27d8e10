import { describe, expect, it } from "vitest";
import { PlanHandle, PlanroomError, RoomHandle, type ConnectionState } from "../../client/index.js";
import type { RoomClient } from "../../client/room-handle.js";
import type { CommandInput, CommandName, CommandResult, PlanEvent, PresenceDelta, PresenceMember } from "../../shared/index.js";
import { PlanLog } from "../support/plan-log.js";

/** A scripted client: `plan:join` answers from the log, optionally after a hook runs. */
class FakeClient implements RoomClient {
  readonly sent: { name: CommandName; payload: unknown }[] = [];
  beforeJoinAnswer: (() => void) | undefined;
  /** Errors the next `plan:join`s fail with, one each. */
  readonly joinFailures: PlanroomError[] = [];
  connectionState: ConnectionState = "connected";
  detached = 0;
  constructor(readonly log: PlanLog) {}
  async command<C extends CommandName>(name: C, payload: CommandInput<C>): Promise<CommandResult<C>> {
    this.sent.push({ name, payload });
    await Promise.resolve();
    if (name === "plan:join") {
      const failure = this.joinFailures.shift();
      if (failure) throw failure;
      const { afterSeq } = payload as CommandInput<"plan:join">;
      const answer = { snapshot: this.log.snapshot(), events: this.log.after(afterSeq) };
      const hook = this.beforeJoinAnswer;
      this.beforeJoinAnswer = undefined;
      hook?.();
      return answer as CommandResult<C>;
    }
    if (name === "plan:revise") return { version: 2, seq: 9 } as CommandResult<C>;
    return { seq: 1, outcome: "pending", status: "approved" } as unknown as CommandResult<C>;
  }
  detachRoom(): boolean {
    this.detached++;
    return true;
  }
  joins(): unknown[] {
    return this.sent.filter((s) => s.name === "plan:join").map((s) => s.payload);
  }
}

async function joined(log: PlanLog): Promise<{ client: FakeClient; room: RoomHandle }> {
  const client = new FakeClient(log);
  const room = new RoomHandle(client, log.planId);
  await room.sync();
  return { client, room };
}

describe("RoomHandle folding", () => {
  it("starts from the snapshot and folds live events, notifying per type, '*' and change", async () => {
    const log = new PlanLog("p1");
    const { room } = await joined(log);
    expect(room.plan.status).toBe("pending_approval");
    expect(room.state.seq).toBe(1);
    expect(room.formatted).toContain("Plan: Search and analyse files");

    const types: string[] = [];
    const completed: string[] = [];
    let changes = 0;
    room.on("*", (e) => types.push(e.type));
    room.on("step.completed", (e) => completed.push(e.data.stepId));
    room.on("change", () => changes++);
    for (const event of log.runToCompletion()) room.receive(event);

    expect(types).toEqual(["vote.cast", "plan.approved", "plan.started", "step.started", "step.completed", "step.started", "step.completed", "plan.completed"]);
    expect(completed).toEqual(["search", "analyse"]);
    expect(changes).toBe(8);
    expect(room.plan.status).toBe("completed");
    expect(room.votes).toHaveLength(1);
    expect(room.summary().progress).toBe(100);
    expect(room.formatted).toContain("[x] analyse");
    expect(room.plan.steps[1]?.result).toEqual({ words: 3 });
  });

  it("ignores duplicates: an event delivered twice is applied once", async () => {
    const log = new PlanLog("p1");
    const { room } = await joined(log);
    const seen: number[] = [];
    room.on("*", (e) => seen.push(e.seq));
    const vote = log.append({ type: "vote.cast", data: { vote: { voterId: "r", voterName: "R", decision: "approve", version: 1, at: 1 } } });
    room.receive(vote);
    room.receive(vote);
    expect(seen).toEqual([2]);
    expect(room.votes).toHaveLength(1);
  });

  it("buffers events that arrive before the join answer and applies them after the snapshot, once", async () => {
    const log = new PlanLog("p1");
    const client = new FakeClient(log);
    const room = new RoomHandle(client, "p1");
    // The server appended 2 events; the snapshot includes them, and both also arrive live while joining, plus one newer.
    const e2 = log.append({ type: "plan.approved", data: { by: ["r"] } });
    const e3 = log.append({ type: "plan.started", data: { run: 1 } });
    let e4: PlanEvent | undefined;
    client.beforeJoinAnswer = () => {
      room.receive(e2);
      room.receive(e3);
      e4 = log.append({ type: "step.started", data: { stepId: "search", attempt: 1 } });
      room.receive(e4);
    };
    const seen: number[] = [];
    const joining = room.sync();
    room.on("*", (e) => seen.push(e.seq));
    await joining;
    expect(room.state.seq).toBe(4);
    expect(seen).toEqual([4]);
    expect(room.plan.steps[0]?.status).toBe("running");
  });

  it("re-joins with afterSeq on a gap and applies the missed events in order", async () => {
    const log = new PlanLog("p1");
    const { client, room } = await joined(log);
    const seen: number[] = [];
    room.on("*", (e) => seen.push(e.seq));
    const events = log.runToCompletion();
    room.receive(events[0]!);
    room.receive(events[3]!); // 2..4 were lost
    await room.done();
    expect(client.joins()).toEqual([{ planId: "p1" }, { planId: "p1", afterSeq: 2 }]);
    expect(seen).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(room.plan.status).toBe("completed");
  });

  it("re-syncs after a reconnection from its last seq", async () => {
    const log = new PlanLog("p1");
    const { client, room } = await joined(log);
    const missed = log.runToCompletion();
    const seen: number[] = [];
    room.on("*", (e) => seen.push(e.seq));
    await room.sync();
    expect(client.joins()[1]).toEqual({ planId: "p1", afterSeq: 1 });
    expect(seen).toEqual(missed.map((e) => e.seq));
  });

  it("falls back to the snapshot when the server cannot replay the gap", async () => {
    const log = new PlanLog("p1");
    const { room } = await joined(log);
    log.runToCompletion();
    log.events.splice(1, 3); // the server no longer has events 2..4
    await room.sync();
    expect(room.state.seq).toBe(9);
    expect(room.plan.status).toBe("completed");
  });
});

describe("RoomHandle background re-joins", () => {
  it("a gap whose re-join fails transiently is retried with backoff until it succeeds", async () => {
    const log = new PlanLog("p1");
    const { client, room } = await joined(log);
    client.joinFailures.push(new PlanroomError("TIMEOUT", "no answer"), new PlanroomError("INTERNAL", "boom"));
    const done = room.done();
    const events = log.runToCompletion();
    room.receive(events[0]!);
    room.receive(events.at(-1)!); // a gap
    await expect(done).resolves.toMatchObject({ status: "completed" });
    expect(client.joins()).toHaveLength(4);
    expect(client.joins().at(-1)).toEqual({ planId: "p1", afterSeq: 2 });
  });

  it("stops retrying while disconnected; the next re-join (after the reconnection) picks up", async () => {
    const log = new PlanLog("p1");
    const { client, room } = await joined(log);
    client.connectionState = "reconnecting";
    client.joinFailures.push(new PlanroomError("TIMEOUT", "socket has been disconnected"));
    room.resync();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(client.joins()).toHaveLength(2);
    client.connectionState = "connected";
    log.runToCompletion();
    room.resync();
    await expect(room.done()).resolves.toMatchObject({ status: "completed" });
    expect(client.joins()).toHaveLength(3);
  });

  it("a final re-join error (FORBIDDEN) closes the handle and detaches it; listeners hear nothing more", async () => {
    const log = new PlanLog("p1");
    const { client, room } = await joined(log);
    const seen: number[] = [];
    room.on("*", (e) => seen.push(e.seq));
    client.joinFailures.push(new PlanroomError("FORBIDDEN", "no longer visible"));
    const decision = room.decision();
    room.resync();
    await expect(decision).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(client.detached).toBe(1);
    for (const event of log.runToCompletion()) room.receive(event);
    room.resync();
    expect(seen).toEqual([]);
    expect(client.joins()).toHaveLength(2);
  });
});

describe("RoomHandle waits and commands", () => {
  it("decision() and done() resolve as the plan moves on", async () => {
    const log = new PlanLog("p1");
    const { room } = await joined(log);
    const decision = room.decision();
    const done = room.done();
    for (const event of log.runToCompletion()) room.receive(event);
    await expect(decision).resolves.toBe("approved");
    const final = await done;
    expect(final.status).toBe("completed");
    await expect(room.done()).resolves.toMatchObject({ status: "completed" });
  });

  it("decision() rejects with CANCELLED when the plan is cancelled first; done() resolves", async () => {
    const log = new PlanLog("p1");
    const { room } = await joined(log);
    const decision = room.decision();
    const done = room.done();
    room.receive(log.append({ type: "plan.cancelled", data: { reason: "no longer needed" } }));
    await expect(decision).rejects.toMatchObject({ code: "CANCELLED" });
    await expect(done).resolves.toMatchObject({ status: "cancelled" });
  });

  it("rejected and expired decisions resolve decision()", async () => {
    const log = new PlanLog("p1");
    const { room } = await joined(log);
    const d = room.decision();
    room.receive(log.append({ type: "plan.rejected", data: { by: ["r"], reason: "too risky" } }));
    await expect(d).resolves.toBe("rejected");
    const log2 = new PlanLog("p2");
    const { room: room2 } = await joined(log2);
    room2.receive(log2.append({ type: "plan.expired", data: {} }));
    await expect(room2.decision()).resolves.toBe("expired");
  });

  it("a closed handle rejects its pending waits and ignores later events", async () => {
    const log = new PlanLog("p1");
    const { room } = await joined(log);
    const done = room.done();
    room.close(new PlanroomError("INTERRUPTED", "closed"));
    await expect(done).rejects.toMatchObject({ code: "INTERRUPTED" });
    room.receive(log.append({ type: "plan.approved", data: { by: ["r"] } }));
    expect(room.plan.status).toBe("pending_approval");
  });

  it("votes bind to the current version; revise sends the version it revises", async () => {
    const log = new PlanLog("p1");
    const client = new FakeClient(log);
    const handle = new PlanHandle(client, "p1");
    await handle.sync();
    await handle.approve("looks good");
    await handle.reject("too broad");
    await expect(handle.revise({ description: "narrower" })).resolves.toBe(2);
    await handle.cancel("stop");
    expect(client.sent.slice(1)).toEqual([
      { name: "plan:vote", payload: { planId: "p1", version: 1, decision: "approve", comment: "looks good" } },
      { name: "plan:vote", payload: { planId: "p1", version: 1, decision: "reject", comment: "too broad" } },
      { name: "plan:revise", payload: { planId: "p1", version: 1, description: "narrower" } },
      { name: "plan:cancel", payload: { planId: "p1", reason: "stop" } },
    ]);
  });

  it("a state read before the join is an INVALID_STATE error", () => {
    const room = new RoomHandle(new FakeClient(new PlanLog("p1")), "p1");
    expect(() => room.plan).toThrow(PlanroomError);
  });
});

describe("RoomHandle presence", () => {
  const member = (id: string): PresenceMember => ({ id, name: id.toUpperCase(), roles: ["reviewer"] });
  const delta = (rev: number, joined: string[], left: string[] = []): PresenceDelta => ({ planId: "p1", rev, joined: joined.map(member), left });
  const idsOf = (members: PresenceMember[]): string[] => members.map((m) => m.id);

  it("starts from the snapshot's list and folds deltas in: idempotent, each rev once, listeners told what changed", async () => {
    const log = new PlanLog("p1");
    log.presence = [member("a")];
    log.presenceRev = 4;
    const { room } = await joined(log);
    expect(idsOf(room.presence)).toEqual(["a"]);
    const seen: { members: string[]; joined: string[]; left: string[] }[] = [];
    room.on("presence", (members, change) => seen.push({ members: idsOf(members), joined: idsOf(change.joined), left: idsOf(change.left) }));
    const before = room.presence;

    room.receivePresence(delta(4, ["x"])); // the snapshot includes it
    room.receivePresence(delta(5, ["a", "b"], ["c"])); // a is there already, c never was
    room.receivePresence(delta(6, ["b"])); // changes nothing: no notification
    room.receivePresence(delta(7, [], ["a"]));
    expect(idsOf(room.presence)).toEqual(["b"]);
    expect(seen).toEqual([
      { members: ["a", "b"], joined: ["b"], left: [] },
      { members: ["b"], joined: [], left: ["a"] },
    ]);
    expect(idsOf(before)).toEqual(["a"]); // a list once read does not change under its reader
  });

  it("deltas that arrive while joining wait for the snapshot, and those it includes are skipped", async () => {
    const log = new PlanLog("p1");
    const client = new FakeClient(log);
    const room = new RoomHandle(client, "p1");
    log.presence = [member("a"), member("x")];
    log.presenceRev = 1;
    // Sent before the snapshot was taken (rev 1, in it) and after (rev 2), both before the join resolves.
    client.beforeJoinAnswer = () => {
      room.receivePresence(delta(1, ["x"]));
      room.receivePresence(delta(2, ["y"], ["a"]));
    };
    await room.sync();
    expect(idsOf(room.presence)).toEqual(["x", "y"]);
    room.receivePresence(delta(3, ["a"]));
    expect(idsOf(room.presence)).toEqual(["x", "y", "a"]);
  });

  it("a missed delta makes the handle re-join, and the new snapshot's list replaces the old", async () => {
    const log = new PlanLog("p1");
    const { client, room } = await joined(log);
    log.presence = [member("a"), member("b")];
    log.presenceRev = 3;
    room.receivePresence(delta(2, ["a"])); // rev 1 never came
    await expect.poll(() => idsOf(room.presence)).toEqual(["a", "b"]);
    expect(client.joins()).toHaveLength(2);
    room.receivePresence(delta(4, ["c"]));
    expect(idsOf(room.presence)).toEqual(["a", "b", "c"]);
  });

  it("after a lost connection, the re-join's snapshot counts from its own revision (a restarted server starts at 0)", async () => {
    const log = new PlanLog("p1");
    log.presence = [member("a")];
    log.presenceRev = 9;
    const { client, room } = await joined(log);
    room.receivePresence(delta(10, ["b"]));
    // The connection drops while a re-join is under way; the server that answers it restarted.
    log.presence = [member("a"), member("c")];
    log.presenceRev = 0;
    client.beforeJoinAnswer = () => {
      room.receivePresence(delta(11, [], ["a"])); // from the old connection
      room.connectionLost();
    };
    await room.sync();
    expect(idsOf(room.presence)).toEqual(["a", "c"]);
    expect(client.joins()).toHaveLength(2);
    room.receivePresence(delta(1, ["d"]));
    expect(idsOf(room.presence)).toEqual(["a", "c", "d"]);
  });
});
