import { describe, expect, it } from "vitest";
import { eventSentence, revisionChangesText, type PlanEvent } from "../../shared/index.js";
import { PlanLog } from "../support/plan-log.js";

const base = { planId: "p1", seq: 3, at: 0 };
const sentence = (body: object): string => eventSentence({ ...base, ...body } as unknown as PlanEvent);
const error = { code: "TOOL_ERROR", message: "disk full" };

describe("eventSentence", () => {
  it("says who submitted what, and who voted how on which version", () => {
    expect(eventSentence(new PlanLog("p1").events[0]!)).toBe("Agent submitted the plan “Search and analyse files” (2 steps)");
    expect(sentence({ type: "vote.cast", data: { vote: { voterId: "a", voterName: "Alice", decision: "reject", comment: "too risky", version: 2, at: 0 } } })).toBe("Alice rejected version 2: “too risky”");
    expect(sentence({ type: "vote.cast", data: { vote: { voterId: "a", voterName: "Alice", decision: "approve", version: 1, at: 0 } } })).toBe("Alice approved version 1");
  });

  it("names the deciders of an approval or rejection, or says it was automatic", () => {
    expect(sentence({ type: "plan.approved", data: { by: ["a", "b"] } })).toBe("Plan approved by a, b");
    expect(sentence({ type: "plan.approved", data: { by: [] } })).toBe("Plan approved automatically");
    expect(sentence({ type: "plan.rejected", data: { by: ["a"], reason: "no" } })).toBe("Plan rejected by a: no");
  });

  it("gives steps and runs their durations, error codes and messages", () => {
    expect(sentence({ type: "step.started", data: { stepId: "s", attempt: 2 } })).toBe("Step s started (attempt 2)");
    expect(sentence({ type: "step.waiting", data: { stepId: "s", attempt: 1, reason: "agent", tool: "deploy" } })).toBe("Step s is waiting for its agent to connect and run deploy; its timeout is paused");
    expect(sentence({ type: "step.resumed", data: { stepId: "s", attempt: 1, waitedMs: 4_200 } })).toBe("Step s resumed after waiting 4.2 s for its agent");
    expect(sentence({ type: "step.retrying", data: { stepId: "s", attempt: 1, delayMs: 500, error } })).toBe("Step s will retry in 500 ms after attempt 1: disk full");
    expect(sentence({ type: "step.completed", data: { stepId: "s", attempt: 1, durationMs: 2_460 } })).toBe("Step s completed in 2.4 s");
    expect(sentence({ type: "step.failed", data: { stepId: "s", attempt: 1, error } })).toBe("Step s failed: [TOOL_ERROR] disk full");
    expect(sentence({ type: "step.failed", data: { stepId: "s", attempt: 1, error, durationMs: 185_000 } })).toBe("Step s failed after 3 min 05 s: [TOOL_ERROR] disk full");
    expect(sentence({ type: "plan.failed", data: { error, durationMs: 420 } })).toBe("Plan failed after 420 ms: [TOOL_ERROR] disk full");
    expect(sentence({ type: "plan.started", data: { run: 1 } })).toBe("Execution started");
    expect(sentence({ type: "plan.started", data: { run: 3 } })).toBe("Run 3 started");
    expect(sentence({ type: "plan.cancelled", data: { reason: "late" } })).toBe("Plan cancelled by the server: late");
  });

  it("says what a revision and a reopening changed, with status words", () => {
    const changes = { description: false, options: [], stepsAdded: ["c"], stepsRemoved: [], stepsChanged: ["a"] };
    expect(sentence({ type: "plan.revised", data: { plan: { version: 2 }, changes, dismissedVotes: 1 } })).toBe("Revised to version 2: added c; changed a; 1 vote dismissed");
    expect(sentence({ type: "plan.reopened", data: { status: "pending_approval", resetSteps: ["a"] } })).toBe("Plan reopened (1 step reset), now pending approval");
  });
});

describe("revisionChangesText", () => {
  it("lists every kind of change, or says there is none to see", () => {
    expect(revisionChangesText({ description: true, options: ["stopOnError", "retry"], stepsAdded: ["x"], stepsRemoved: ["y", "z"], stepsChanged: [] })).toBe("the description; options (stopOnError, retry); added x; removed y, z");
    expect(revisionChangesText({ description: false, options: [], stepsAdded: [], stepsRemoved: [], stepsChanged: [] })).toBe("no visible change");
  });
});
