import { describe, expect, it } from "vitest";
import type { PlanEvent } from "../../shared/index.js";
import { describeEvent } from "../../client/web/event-text.js";
import { votesText } from "../../client/web/plans-list.js";

const base = { planId: "p1", seq: 3, at: 0 };

describe("describeEvent", () => {
  it("says who voted and why", () => {
    const event = { ...base, type: "vote.cast", data: { vote: { voterId: "a", voterName: "Alice", decision: "reject", comment: "too risky", version: 1, at: 0 } } } as PlanEvent;
    expect(describeEvent(event)).toEqual({ text: "Alice rejected version 1: “too risky”", tone: "neutral" });
  });
  it("shows step failures with their message, in the bad tone", () => {
    const event = { ...base, type: "step.failed", data: { stepId: "deploy", attempt: 1, error: { code: "TOOL_ERROR", message: "disk full" } } } as PlanEvent;
    expect(describeEvent(event)).toEqual({ text: "Step deploy failed: [TOOL_ERROR] disk full", tone: "bad" });
  });
  it("summarises a revision and the dismissed votes", () => {
    const event = {
      ...base,
      type: "plan.revised",
      data: { plan: { version: 2 }, changes: { description: false, options: [], stepsAdded: ["c"], stepsRemoved: [], stepsChanged: ["a"] }, dismissedVotes: 2 },
    } as unknown as PlanEvent;
    expect(describeEvent(event).text).toBe("Revised to version 2: added c; changed a; 2 votes dismissed");
  });
});

describe("votesText", () => {
  it("writes approvals against the quorum, and rejections when there are some", () => {
    expect(votesText({ approvals: 2, rejections: 0, quorum: 3 })).toBe("2/3 approvals");
    expect(votesText({ approvals: 0, rejections: 1, quorum: 1 })).toBe("0/1 approval · 1 rejected");
  });
});
