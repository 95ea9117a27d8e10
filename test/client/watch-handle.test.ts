import { describe, expect, it, vi } from "vitest";
import { WatchHandle } from "../../client/index.js";
import type { WatchClient } from "../../client/watch-handle.js";
import { planListRowFromSubmitted, type CommandInput, type PlanEvent, type PlanListItem } from "../../shared/index.js";
import { PlanLog } from "../support/plan-log.js";

const client: WatchClient = { command: async () => ({}) as never, detachWatch: async () => undefined };

describe("WatchHandle", () => {
  it("creates rows from plan.submitted and follows status, votes and progress", () => {
    const watch = new WatchHandle(client, {});
    const log = new PlanLog("p1");
    const rows: PlanListItem[] = [];
    watch.on("plan", (item) => rows.push({ ...item }));
    watch.receive(log.events[0]!);
    const events = log.runToCompletion();
    watch.receive(events[0]!);
    expect(watch.plans.get("p1")).toMatchObject({ status: "pending_approval", approvals: 1, total: 2 });
    for (const e of events.slice(1, 5)) watch.receive(e);
    expect(watch.plans.get("p1")).toMatchObject({ status: "executing", finished: 1, progress: 50 });
    for (const e of events.slice(5)) watch.receive(e);
    expect(watch.plans.get("p1")).toMatchObject({ status: "completed", finished: 2, progress: 100, seq: 9 });
    expect(rows).toHaveLength(9);
  });

  it("ignores events of unknown plans and stale events", () => {
    const watch = new WatchHandle(client, {});
    const log = new PlanLog("p1");
    const seen: PlanEvent[] = [];
    watch.on("event", (e) => seen.push(e));
    const approved = log.append({ type: "plan.approved", data: { by: ["r"] } });
    watch.receive(approved);
    expect(watch.plans.size).toBe(0);
    watch.reset([{ ...planListRowFromSubmitted(log.events[0] as Extract<PlanEvent, { type: "plan.submitted" }>), seq: 2, status: "approved" }]);
    watch.receive(approved);
    expect(seen).toHaveLength(0);
    expect(watch.plans.get("p1")?.status).toBe("approved");
  });

  it("filters rows by status and submitter", () => {
    const log = new PlanLog("p1");
    for (const filter of [{ status: "completed" as const }, { status: ["completed" as const, "failed" as const] }, { submittedBy: "someone-else" }]) {
      const watch = new WatchHandle(client, filter);
      watch.receive(log.events[0]!);
      expect(watch.plans.size, JSON.stringify(filter)).toBe(0);
    }
    const mine = new WatchHandle(client, { status: "pending_approval", submittedBy: "agent-1" });
    mine.receive(log.events[0]!);
    expect(mine.plans.size).toBe(1);
  });

  it("counts a changed vote once", () => {
    const log = new PlanLog("p1");
    const watch = new WatchHandle(client, {});
    watch.receive(log.events[0]!);
    const vote = (decision: "approve" | "reject") => log.append({ type: "vote.cast", data: { vote: { voterId: "r1", voterName: "R1", decision, version: 1, at: 1 } } });
    watch.receive(vote("approve"));
    watch.receive(vote("reject"));
    expect(watch.plans.get("p1")).toMatchObject({ approvals: 0, rejections: 1 });
  });

  it("seeds each voter's decision from the list row, so a repeated vote is counted once", () => {
    const log = new PlanLog("p1");
    const vote = (voterId: string, decision: "approve" | "reject") => log.append({ type: "vote.cast", data: { vote: { voterId, voterName: voterId, decision, version: 1, at: 1 } } });
    vote("r1", "approve");
    const row = { ...submittedRow(log), seq: log.state.seq, approvals: 1, votes: [{ voterId: "r1", decision: "approve" as const }], quorum: 2 };
    const watch = new WatchHandle(client, {});
    watch.reset([row]);
    watch.receive(vote("r1", "approve"));
    expect(watch.plans.get("p1")).toMatchObject({ approvals: 1, rejections: 0, votes: [{ voterId: "r1", decision: "approve" }] });
    watch.receive(vote("r1", "reject"));
    expect(watch.plans.get("p1")).toMatchObject({ approvals: 0, rejections: 1 });
    watch.receive(vote("r2", "approve"));
    expect(watch.plans.get("p1")).toMatchObject({ approvals: 1, rejections: 1, votes: [{ voterId: "r1", decision: "reject" }, { voterId: "r2", decision: "approve" }] });
    // After a reconnection the server's newer row wins, votes included.
    watch.reset([{ ...row, seq: log.state.seq + 1, approvals: 2, rejections: 0, votes: [{ voterId: "r1", decision: "approve" }, { voterId: "r2", decision: "approve" }] }]);
    watch.receive(log.append({ type: "plan.approved", data: { by: ["r1", "r2"] } }));
    watch.receive({ ...vote("r2", "approve"), seq: log.state.seq + 1 });
    expect(watch.plans.get("p1")).toMatchObject({ approvals: 2, rejections: 0 });
  });

  it("a row leaves when its plan stops matching the status filter, with a last \"plan\"", () => {
    const watch = new WatchHandle(client, { status: "pending_approval" });
    const log = new PlanLog("p1");
    const rows: [string, boolean][] = [];
    watch.on("plan", (item) => rows.push([item.status, watch.plans.has(item.id)]));
    watch.receive(log.events[0]!);
    for (const e of log.runToCompletion()) watch.receive(e);
    expect(watch.plans.size).toBe(0);
    expect(rows).toEqual([["pending_approval", true], ["pending_approval", true], ["approved", false]]);
  });

  it("fetches the row of an older plan that comes to match, once for a burst, and applies the events meanwhile", async () => {
    const log = new PlanLog("p1");
    const events = log.runToCompletion();
    const lists: CommandInput<"plans:list">[] = [];
    // The server read the list just after plan.started (seq 4).
    const listed = { ...submittedRow(log), status: "executing" as const, seq: 4 };
    const listing: WatchClient = {
      command: (async (name: string, payload: CommandInput<"plans:list">) => {
        expect(name).toBe("plans:list");
        lists.push(payload);
        await new Promise((r) => setTimeout(r, 30));
        return { plans: [listed] };
      }) as WatchClient["command"],
      detachWatch: async () => undefined,
    };
    const watch = new WatchHandle(listing, { status: ["executing", "completed"], submittedBy: "agent-1" });
    const added = vi.fn();
    watch.on("plan", added);
    watch.reset([]);
    for (const e of events.slice(0, 4)) watch.receive(e); // vote, approved, started, step.started
    expect(watch.plans.size).toBe(0);
    await vi.waitFor(() => expect(watch.plans.get("p1")).toMatchObject({ status: "executing", seq: 5 }));
    expect(lists).toEqual([{ status: ["executing", "completed"], submittedBy: "agent-1", limit: 500 }]);
    for (const e of events.slice(4)) watch.receive(e);
    expect(watch.plans.get("p1")).toMatchObject({ status: "completed", finished: 2, progress: 100 });
  });

  it("a plan not found by the fetch is left out unless a later event brings it back", async () => {
    const log = new PlanLog("p1");
    const events = log.runToCompletion();
    let calls = 0;
    const listing: WatchClient = {
      command: (async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 10));
        return { plans: calls === 1 ? [] : [{ ...submittedRow(log), status: "completed" as const, seq: log.state.seq }] };
      }) as WatchClient["command"],
      detachWatch: async () => undefined,
    };
    const watch = new WatchHandle(listing, { status: ["approved", "completed"] });
    watch.receive(events[1]!); // plan.approved: fetch
    watch.receive(events[2]!); // plan.started, gathered while fetching
    await new Promise((r) => setTimeout(r, 50));
    expect(watch.plans.size).toBe(0);
    watch.receive(events[7]!); // plan.completed: fetch again
    await vi.waitFor(() => expect(watch.plans.get("p1")?.status).toBe("completed"));
    expect(calls).toBe(2);
  });
});

function submittedRow(log: PlanLog): PlanListItem {
  return planListRowFromSubmitted(log.events[0] as Extract<PlanEvent, { type: "plan.submitted" }>);
}
