import { describe, expect, it } from "vitest";
import { WatchHandle } from "../../client/index.js";
import { applyToListItem, listItemFromSubmitted, matchesFilter, type WatchClient } from "../../client/watch-handle.js";
import type { PlanEvent, PlanListItem } from "../../shared/index.js";
import { PlanLog } from "./plan-log.js";

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
    watch.reset([{ ...listItemFromSubmitted(log.events[0] as Extract<PlanEvent, { type: "plan.submitted" }>), seq: 2, status: "approved" }]);
    watch.receive(approved);
    expect(seen).toHaveLength(0);
    expect(watch.plans.get("p1")?.status).toBe("approved");
  });

  it("filters rows by status and submitter", () => {
    const log = new PlanLog("p1");
    const row = listItemFromSubmitted(log.events[0] as Extract<PlanEvent, { type: "plan.submitted" }>);
    expect(matchesFilter(row, { status: "pending_approval" })).toBe(true);
    expect(matchesFilter(row, { status: ["completed", "failed"] })).toBe(false);
    expect(matchesFilter(row, { submittedBy: "someone-else" })).toBe(false);
    const watch = new WatchHandle(client, { status: "completed" });
    watch.receive(log.events[0]!);
    expect(watch.plans.size).toBe(0);
  });

  it("counts a changed vote once", () => {
    const log = new PlanLog("p1");
    const row = listItemFromSubmitted(log.events[0] as Extract<PlanEvent, { type: "plan.submitted" }>);
    const votes = new Map<string, "approve" | "reject">();
    const vote = (decision: "approve" | "reject") => log.append({ type: "vote.cast", data: { vote: { voterId: "r1", voterName: "R1", decision, version: 1, at: 1 } } });
    applyToListItem(row, vote("approve"), votes);
    applyToListItem(row, vote("reject"), votes);
    expect(row).toMatchObject({ approvals: 0, rejections: 1 });
  });
});
