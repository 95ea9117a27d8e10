import { describe, expect, it } from "vitest";
import { PlanroomError } from "../../../shared/index.js";
import { Executor } from "../../../server/executor/executor.js";
import { ManualClock, settle } from "../../support/manual-clock.js";
import { callbacks, Gate, makePlan, recorder } from "./executor-fixtures.js";

describe("Executor failures", () => {
  it("fails a step that throws, keeping a PlanroomError's code or an error's string code", async () => {
    const plan = makePlan([{ id: "plain", tool: "plain" }, { id: "coded", tool: "coded" }, { id: "typed", tool: "typed" }, { id: "str", tool: "str" }], { stopOnError: false });
    const done = await new Executor({
      plain: () => {
        throw new Error("plain failure");
      },
      coded: async () => {
        throw Object.assign(new Error("disk full"), { code: "ENOSPC" });
      },
      typed: async () => {
        throw new PlanroomError("FORBIDDEN", "not yours");
      },
      str: () => Promise.reject("just a string"),
    }).execute(plan);
    expect(done.steps.map((s) => [s.id, s.status, s.error])).toEqual([
      ["plain", "failed", { code: "TOOL_ERROR", message: "plain failure" }],
      ["coded", "failed", { code: "ENOSPC", message: "disk full" }],
      ["typed", "failed", { code: "FORBIDDEN", message: "not yours" }],
      ["str", "failed", { code: "TOOL_ERROR", message: "just a string" }],
    ]);
    expect(done.status).toBe("failed");
    expect(done.error).toEqual({ code: "TOOL_ERROR", message: 'step "plain" failed: plain failure (and 3 more failed steps)' });
  });

  it("retries per the step's policy with exponential backoff from the clock", async () => {
    const clock = new ManualClock(0);
    const gate = new Gate();
    const { log, hooks } = recorder();
    const plan = makePlan([{ id: "flaky", retry: { maxAttempts: 3, backoffMs: 100, factor: 2 } }]);
    const run = new Executor({ work: gate.tool }, { ...hooks, clock }).execute(plan);
    await settle();
    gate.reject("flaky");
    await clock.advance(99);
    expect(gate.calls).toHaveLength(1);
    await clock.advance(1);
    expect(gate.calls.map((c) => c.ctx.attempt)).toEqual([1, 2]);
    gate.reject("flaky");
    await clock.advance(199);
    expect(gate.calls).toHaveLength(2);
    await clock.advance(1);
    expect(gate.calls).toHaveLength(3);
    expect(gate.ctx("flaky").idempotencyKey).toBe("p1:flaky:3");
    gate.resolve("flaky", "third time");
    const done = await run;
    expect(done.getStep("flaky")).toMatchObject({ status: "completed", attempts: 3, result: "third time", startedAt: 0, durationMs: 300 });
    expect(callbacks(log)).toEqual(["planStart", "start flaky", "retry flaky TOOL_ERROR 100", "start flaky", "retry flaky TOOL_ERROR 200", "start flaky", "complete flaky", "planComplete completed"]);
  });

  it("uses the plan's retry policy for steps without their own, and fails once attempts are spent", async () => {
    let calls = 0;
    const plan = makePlan([{ id: "a" }], { retry: { maxAttempts: 2, backoffMs: 0 } });
    const done = await new Executor({
      work: () => {
        calls++;
        throw new Error(`try ${calls}`);
      },
    }).execute(plan);
    expect(calls).toBe(2);
    expect(done.getStep("a")).toMatchObject({ status: "failed", attempts: 2, error: { message: "try 2" } });
  });

  it("times a step out: aborts its signal, fails it with TIMEOUT, then retries it", async () => {
    const clock = new ManualClock(0);
    const gate = new Gate();
    const plan = makePlan([{ id: "slow", retry: { maxAttempts: 2, backoffMs: 10 } }], { stepTimeoutMs: 1_000 });
    const run = new Executor({ work: gate.tool }, { clock }).execute(plan);
    await settle();
    const first = gate.ctx("slow");
    await clock.advance(999);
    expect(first.signal.aborted).toBe(false);
    await clock.advance(1);
    expect(first.signal.aborted).toBe(true);
    expect(first.signal.reason).toMatchObject({ code: "TIMEOUT" });
    expect(plan.getStep("slow")?.error).toMatchObject({ code: "TIMEOUT" });
    gate.resolve("slow", "too late"); // a late answer of the timed-out attempt is ignored
    await clock.advance(10);
    expect(gate.calls).toHaveLength(2);
    expect(gate.ctx("slow").deadline).toBe(2_010);
    await clock.advance(1_000);
    const done = await run;
    expect(done.getStep("slow")).toMatchObject({ status: "failed", attempts: 2, error: { code: "TIMEOUT", message: 'step "slow" timed out after 1000ms (attempt 2)' } });
    expect(done.status).toBe("failed");
    expect(clock.pendingTimers).toBe(0);
  });

  it("times out each attempt at its own deadline when several run at once", async () => {
    const clock = new ManualClock(0);
    const gate = new Gate();
    const plan = makePlan([{ id: "a" }, { id: "b" }, { id: "c", after: ["b"] }, { id: "d", after: ["b"] }], { stepTimeoutMs: 1_000, stopOnError: false, maxParallelSteps: 3 });
    const run = new Executor({ work: gate.tool }, { clock }).execute(plan);
    await clock.advance(100);
    gate.resolve("b");
    await clock.advance(200);
    gate.resolve("d");
    await clock.advance(700); // t = 1000: a's deadline
    expect(plan.getStep("a")).toMatchObject({ status: "failed", completedAt: 1_000, error: { code: "TIMEOUT" } });
    expect(plan.getStep("c")?.status).toBe("running");
    await clock.advance(99);
    expect(plan.getStep("c")?.status).toBe("running");
    await clock.advance(1); // t = 1100: c's deadline (it started at 100)
    const done = await run;
    expect(done.getStep("c")).toMatchObject({ status: "failed", startedAt: 100, completedAt: 1_100, durationMs: 1_000 });
    expect(done.getStep("d")).toMatchObject({ status: "completed", completedAt: 300 });
    expect(clock.pendingTimers).toBe(0);
  });

  it("stopOnError: aborts and cancels running steps, skips pending ones, starts nothing new, fails the plan", async () => {
    const gate = new Gate();
    const { log, hooks } = recorder();
    const plan = makePlan([{ id: "bad" }, { id: "busy" }, { id: "next", after: ["bad"] }, { id: "other", after: ["busy"] }, { id: "queued" }], { stopOnError: true, maxParallelSteps: 2 });
    const run = new Executor({ work: gate.tool }, hooks).execute(plan);
    await settle();
    expect(gate.started).toEqual(["bad", "busy"]);
    gate.reject("bad", new Error("exploded"));
    const done = await run;
    expect(gate.ctx("busy").signal.aborted).toBe(true);
    gate.resolve("busy", "ignored");
    await settle();
    expect(gate.started).toEqual(["bad", "busy"]);
    expect(done.steps.map((s) => [s.id, s.status])).toEqual([
      ["bad", "failed"],
      ["busy", "cancelled"],
      ["next", "skipped"],
      ["other", "skipped"],
      ["queued", "skipped"],
    ]);
    expect(done.getStep("busy")?.reason).toBe('stopped: step "bad" failed');
    expect(done.getStep("queued")?.reason).toBe('not run: step "bad" failed');
    expect(done.status).toBe("failed");
    expect(done.error).toEqual({ code: "TOOL_ERROR", message: 'step "bad" failed: exploded' });
    expect(callbacks(log).slice(-6)).toEqual(["failed bad TOOL_ERROR", "cancelled busy", "skipped next", "skipped other", "skipped queued", "planComplete failed"]);
  });

  it("stopOnError off: independent steps still run, dependents are skipped naming the failure, the plan fails", async () => {
    const gate = new Gate();
    const plan = makePlan(
      [{ id: "root" }, { id: "child", after: ["root"] }, { id: "grandchild", after: ["child"] }, { id: "free" }, { id: "after-free", after: ["free"] }],
      { stopOnError: false, maxParallelSteps: 1 },
    );
    const run = new Executor({ work: gate.tool }).execute(plan);
    await settle();
    gate.reject("root");
    await settle();
    gate.resolve("free");
    await settle();
    gate.resolve("after-free");
    const done = await run;
    expect(done.steps.map((s) => [s.id, s.status, s.reason])).toEqual([
      ["root", "failed", undefined],
      ["child", "skipped", 'dependency "root" failed'],
      ["grandchild", "skipped", 'dependency "child" was skipped (step "root" failed)'],
      ["free", "completed", undefined],
      ["after-free", "completed", undefined],
    ]);
    expect(done.status).toBe("failed");
  });

  it("stopOnError off with every step passing completes the plan", async () => {
    const plan = makePlan([{ id: "a" }, { id: "b", after: ["a"] }], { stopOnError: false });
    expect((await new Executor({ work: () => 1 }).execute(plan)).status).toBe("completed");
  });

  it("refuses a plan with an unknown tool before anything runs", async () => {
    const plan = makePlan([{ id: "a" }, { id: "b", tool: "nope" }]);
    const error = await new Executor({ work: () => 1 }).execute(plan).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlanroomError);
    expect(error).toMatchObject({ code: "UNKNOWN_TOOL" });
    expect((error as Error).message).toContain('unknown tool "nope"');
    expect(plan.status).toBe("approved");
    expect(plan.steps.every((s) => s.status === "pending")).toBe(true);
  });

  it("does not take inherited properties for tools", async () => {
    const plan = makePlan([{ id: "a", tool: "constructor" }]);
    await expect(new Executor({ work: () => 1 }).execute(plan)).rejects.toMatchObject({ code: "UNKNOWN_TOOL" });
  });

  it("fails a step whose tool disappeared from the registry during the run", async () => {
    const gate = new Gate();
    const tools = new Map([
      ["work", gate.tool],
      ["later", () => 1],
    ]);
    const plan = makePlan([{ id: "a" }, { id: "b", after: ["a"], tool: "later" }]);
    const run = new Executor(tools).execute(plan);
    await settle();
    tools.delete("later");
    gate.resolve("a");
    const done = await run;
    expect(done.getStep("b")).toMatchObject({ status: "failed", attempts: 1, error: { code: "UNKNOWN_TOOL", message: 'unknown tool "later" (step "b")' } });
  });
});
