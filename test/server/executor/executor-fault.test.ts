import { describe, expect, it } from "vitest";
import { PlanroomError } from "../../../shared/index.js";
import type { Clock } from "../../../server/runtime/clock.js";
import { Executor } from "../../../server/executor/executor.js";
import { ManualClock, settle } from "../../support/manual-clock.js";
import { Gate, makePlan, recorder } from "./executor-fixtures.js";

/** A manual clock whose timers can be made to fail, as an internal fault of the executor. */
function breakableClock(): { clock: Clock; manual: ManualClock; failTimersOf: (ms: number) => void } {
  const manual = new ManualClock(0);
  let failing: number | undefined;
  const clock: Clock = {
    now: () => manual.now(),
    setTimeout: (fn, ms) => {
      if (ms === failing) throw new Error("the timer queue is broken");
      return manual.setTimeout(fn, ms);
    },
    clearTimeout: (handle) => manual.clearTimeout(handle),
  };
  return { clock, manual, failTimersOf: (ms) => (failing = ms) };
}

describe("Executor fault path (internal errors)", () => {
  it("aborts running attempts, cancels running steps, skips pending ones, then fails the plan with INTERNAL", async () => {
    const { clock, manual, failTimersOf } = breakableClock();
    const gate = new Gate();
    const { events, hooks } = recorder();
    const plan = makePlan([{ id: "a", retry: { maxAttempts: 2, backoffMs: 100 } }, { id: "b" }, { id: "c", after: ["a"] }, { id: "d" }], { maxParallelSteps: 2 });
    const run = new Executor({ work: gate.tool }, { ...hooks, clock }).execute(plan);
    await settle();
    expect(gate.started).toEqual(["a", "b"]);
    failTimersOf(100); // arming a's retry backoff throws inside the executor
    gate.reject("a");
    const done = await run;

    expect(done.status).toBe("failed");
    expect(done.error).toEqual({ code: "INTERNAL", message: "internal error: the timer queue is broken" });
    expect(done.steps.map((s) => [s.id, s.status])).toEqual([
      ["a", "cancelled"],
      ["b", "cancelled"],
      ["c", "skipped"],
      ["d", "skipped"],
    ]);
    expect(done.steps.some((s) => s.status === "running" || s.status === "pending")).toBe(false);
    expect(done.getStep("b")?.reason).toBe("the run stopped on an internal error: the timer queue is broken");
    expect(done.getStep("c")?.reason).toBe("not run: the run stopped on an internal error: the timer queue is broken");
    expect(gate.ctx("b").signal.aborted).toBe(true);
    expect(gate.ctx("b").signal.reason).toMatchObject({ code: "INTERNAL" });
    expect(events.map((e) => e.type).slice(-5)).toEqual(["step.cancelled", "step.cancelled", "step.skipped", "step.skipped", "plan.failed"]);

    // late answers change nothing, nothing else starts, no timer is left
    const count = events.length;
    gate.resolve("b", "late");
    await manual.advance(1_000);
    expect(events.length).toBe(count);
    expect(gate.started).toEqual(["a", "b"]);
    expect(manual.pendingTimers).toBe(0);
  });

  it("settles execute (INTERNAL) with the attempts aborted when even the fault-path events are refused", async () => {
    const gate = new Gate();
    const { hooks } = recorder();
    const plan = makePlan([{ id: "a" }, { id: "b" }, { id: "c", after: ["a"] }], { maxParallelSteps: 2 });
    const run = new Executor({ work: gate.tool }, hooks).execute(plan);
    await settle();
    // behind the executor's back: the plan is ended, so every later event of the run is refused
    plan.apply({ type: "plan.cancelled", at: plan.updatedAt, data: { reason: "ended elsewhere", durationMs: 0 } });
    gate.resolve("a", "done");
    const error = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PlanroomError);
    expect(error).toMatchObject({ code: "INTERNAL" });
    expect((error as Error).message).toContain("internal error");
    expect(gate.ctx("b").signal.aborted).toBe(true);
    expect(plan.status).toBe("cancelled");
  });

  it("settles execute when the run's terminal event is refused (an onEvent hook ended the plan)", async () => {
    const plan = makePlan([{ id: "a" }]);
    const run = new Executor(
      { work: () => 1 },
      {
        onEvent: (event, p) => {
          if (event.type === "step.completed") p.apply({ type: "plan.cancelled", at: event.at, data: { reason: "ended by a hook", durationMs: 0 } });
        },
      },
    ).execute(plan);
    await expect(run).rejects.toMatchObject({ code: "INTERNAL" });
    expect(plan.status).toBe("cancelled");
    expect(plan.getStep("a")?.status).toBe("completed");
  });
});
