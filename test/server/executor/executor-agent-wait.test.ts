import { describe, expect, it } from "vitest";
import { Executor } from "../../../server/executor/executor.js";
import { ManualClock, settle } from "../../support/manual-clock.js";
import { Gate, makePlan, recorder } from "./executor-fixtures.js";

describe("Executor: a tool that waits for its agent", () => {
  it("pauses the attempt's deadline while it waits, counts the rest once resumed, and leaves other attempts' deadlines alone", async () => {
    const clock = new ManualClock(0);
    const gate = new Gate();
    const { events, hooks } = recorder();
    const plan = makePlan([{ id: "remote" }, { id: "local" }], { stepTimeoutMs: 100, stopOnError: false });
    const run = new Executor({ work: gate.tool }, { ...hooks, clock }).execute(plan);
    await settle();
    await clock.advance(40);
    const resume = gate.ctx("remote").waitForAgent!("deploy");
    expect(plan.getStep("remote")?.waiting).toEqual({ reason: "agent", tool: "deploy", since: 40 });
    await clock.advance(60);
    // The other attempt still times out on time; the waiting one does not.
    expect(plan.getStep("local")).toMatchObject({ status: "failed", error: { code: "TIMEOUT" } });
    expect(plan.getStep("remote")?.status).toBe("running");
    await clock.advance(1_000);
    expect(plan.getStep("remote")?.status).toBe("running");
    resume();
    expect(gate.ctx("remote").deadline).toBe(1_100 + 60);
    expect(plan.getStep("remote")?.waiting).toBeUndefined();
    await clock.advance(59);
    expect(plan.getStep("remote")?.status).toBe("running");
    await clock.advance(1);
    const done = await run;
    expect(done.getStep("remote")).toMatchObject({ status: "failed", error: { code: "TIMEOUT" } });
    expect(events.filter((e) => e.type === "step.waiting" || e.type === "step.resumed").map((e) => [e.type, e.at, e.data])).toEqual([
      ["step.waiting", 40, { stepId: "remote", attempt: 1, reason: "agent", tool: "deploy" }],
      ["step.resumed", 1_100, { stepId: "remote", attempt: 1, waitedMs: 1_060 }],
    ]);
    expect(clock.pendingTimers).toBe(0);
  });

  it("does not retry an attempt that failed because its agent stayed away", async () => {
    const clock = new ManualClock(0);
    const gate = new Gate();
    const plan = makePlan([{ id: "remote", retry: { maxAttempts: 3, backoffMs: 0 } }]);
    const run = new Executor({ work: gate.tool }, { clock }).execute(plan);
    await settle();
    gate.ctx("remote").waitForAgent!("deploy");
    gate.reject("remote", Object.assign(new Error("agent gone"), { code: "AGENT_DISCONNECTED" }));
    const done = await run;
    expect(done.getStep("remote")).toMatchObject({ status: "failed", attempts: 1, error: { code: "AGENT_DISCONNECTED" } });
    expect(done.getStep("remote")?.waiting).toBeUndefined();
    expect(clock.pendingTimers).toBe(0);
  });
});
