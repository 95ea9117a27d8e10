import { describe, expect, it } from "vitest";
import { applyEvent, applyToListRow, countListVotes, planListRow, planListRowFromSubmitted, type PlanEventOf, type PlanState } from "../../shared/index.js";
import { PlanLog } from "../support/plan-log.js";

const submitted = (log: PlanLog) => log.events[0] as PlanEventOf<"plan.submitted">;

describe("countListVotes", () => {
  it("keeps each voter's latest decision where the voter first voted, and counts them", () => {
    expect(countListVotes([])).toEqual({ votes: [], approvals: 0, rejections: 0 });
    const counted = countListVotes([{ voterId: "a", decision: "approve" }, { voterId: "b", decision: "approve" }, { voterId: "a", decision: "reject" }]);
    expect(counted).toEqual({ votes: [{ voterId: "a", decision: "reject" }, { voterId: "b", decision: "approve" }], approvals: 1, rejections: 1 });
  });
});

describe("planListRow", () => {
  it("lists a submitted plan as the server would", () => {
    const log = new PlanLog("p1");
    expect(planListRowFromSubmitted(submitted(log))).toEqual(planListRow(log.state));
    expect(planListRow(log.state)).toMatchObject({ id: "p1", status: "pending_approval", version: 1, total: 2, finished: 0, progress: 0, approvals: 0, votes: [], seq: 1, submittedBy: { id: "agent-1", name: "Agent" } });
  });

  it("counts only the votes on the current version", () => {
    const log = new PlanLog("p1");
    const state: PlanState = { ...log.state, votes: [{ voterId: "old", voterName: "Old", decision: "approve", version: 0, at: 1 }, { voterId: "r1", voterName: "R1", decision: "reject", version: 1, at: 2 }] };
    expect(planListRow(state)).toMatchObject({ approvals: 0, rejections: 1, votes: [{ voterId: "r1", decision: "reject" }] });
  });
});

describe("applyToListRow", () => {
  it("follows a run event by event to the row the server lists at the end", () => {
    const log = new PlanLog("p1");
    const row = planListRowFromSubmitted(submitted(log));
    for (const event of log.runToCompletion()) expect(applyToListRow(row, event), event.type).toBe(true);
    expect(row).toEqual({ ...planListRow(log.state), updatedAt: log.events.at(-1)!.at });
    expect(row).toMatchObject({ status: "completed", finished: 2, progress: 100, approvals: 1 });
  });

  it("leaves the row as it was for an event it already has", () => {
    const log = new PlanLog("p1");
    const row = planListRowFromSubmitted(submitted(log));
    const before = structuredClone(row);
    expect(applyToListRow(row, submitted(log))).toBe(false);
    expect(row).toEqual(before);
  });

  it("counts a changed vote once and clears the votes on a revision", () => {
    const log = new PlanLog("p1");
    const row = planListRowFromSubmitted(submitted(log));
    const vote = (decision: "approve" | "reject") => log.append({ type: "vote.cast", data: { vote: { voterId: "r1", voterName: "R1", decision, version: 1, at: 1 } } });
    applyToListRow(row, vote("approve"));
    applyToListRow(row, vote("reject"));
    expect(row).toMatchObject({ approvals: 0, rejections: 1, votes: [{ voterId: "r1", decision: "reject" }] });
    const plan = { ...structuredClone(log.state.plan), version: 2, description: "Only search", steps: log.state.plan.steps.slice(0, 1) };
    const changes = { description: true, options: [], stepsAdded: [], stepsRemoved: ["analyse"], stepsChanged: [] };
    applyToListRow(row, log.append({ type: "plan.revised", data: { plan, changes, dismissedVotes: 1 } }));
    expect(row).toMatchObject({ version: 2, description: "Only search", total: 1, approvals: 0, rejections: 0, votes: [] });
    expect(row).toEqual({ ...planListRow(applyEvent(log.state, log.events.at(-1)!)), updatedAt: log.events.at(-1)!.at });
  });
});
