import { describe, expect, it } from "vitest";
import { describeEvent } from "../../client/web/event-text.js";
import { stepStateText, stepWaitingLabel, unservedToolsWarning } from "../../client/web/status-text.js";

const waiting = { reason: "agent", tool: "deploy", since: 5 } as const;

describe("a step waiting for its agent, on the dashboard", () => {
  it("reads as waiting for agent while it runs, and as its status otherwise", () => {
    expect(stepWaitingLabel({ status: "running", waiting })).toBe("Waiting for agent");
    expect(stepWaitingLabel({ status: "running" })).toBeUndefined();
    expect(stepWaitingLabel({ status: "failed", waiting })).toBeUndefined();
    expect(stepStateText({ status: "running", waiting, attempts: 1 })).toBe("Waiting for agent");
    expect(stepStateText({ status: "running", waiting, attempts: 2 })).toBe("Waiting for agent · attempt 2");
    expect(stepStateText({ status: "running", attempts: 2 })).toBe("Running · attempt 2");
    expect(stepStateText({ status: "pending", attempts: 0 })).toBe("Pending");
  });

  it("logs the wait and the resume with the shared sentences", () => {
    const base = { planId: "p1", seq: 3, at: 0 };
    expect(describeEvent({ ...base, type: "step.waiting", data: { stepId: "a", attempt: 1, reason: "agent", tool: "deploy" } })).toEqual({ text: "Step a is waiting for its agent to connect and run deploy; its timeout is paused", tone: "muted" });
    expect(describeEvent({ ...base, type: "step.resumed", data: { stepId: "a", attempt: 1, waitedMs: 800 } }).tone).toBe("info");
  });

  it("warns, once a run starts, about the agent's tools that no socket serves", () => {
    expect(unservedToolsWarning(["deploy"])).toBe("No connected agent serves deploy: the steps that call it will wait for the agent, then fail if it does not connect in time.");
    expect(unservedToolsWarning(["a", "b"])).toContain("serves a, b: the steps that call them");
    expect(unservedToolsWarning([])).toBeUndefined();
    expect(unservedToolsWarning(undefined)).toBeUndefined();
  });
});
