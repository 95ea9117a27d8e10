import { describe, expect, it } from "vitest";
import { ExecutionPlan } from "../../../shared/index.js";
import { Executor } from "../../../server/executor/executor.js";
import { ManualClock, settle } from "../../support/manual-clock.js";
import { callbacks, Gate, makePlan, recorder } from "./executor-fixtures.js";

describe("Executor approval and states", () => {
  it("refuses a plan that needs approval and has none, changing nothing", async () => {
    const plan = makePlan([{ id: "a" }], { requireApproval: true }, false);
    await expect(new Executor({ work: () => 1 }).execute(plan)).rejects.toMatchObject({ code: "APPROVAL_REQUIRED" });
    expect(plan.status).toBe("draft");
    plan.submitForApproval();
    await expect(new Executor({ work: () => 1 }).execute(plan)).rejects.toMatchObject({ code: "APPROVAL_REQUIRED" });
    expect(plan.status).toBe("pending_approval");
  });

  it("approves through a plan.approved event under autoApprove, and runs plans that need no approval", async () => {
    const { events, hooks } = recorder();
    const auto = makePlan([{ id: "a" }], { requireApproval: true, autoApprove: true }, false);
    expect((await new Executor({ work: () => 1 }, hooks).execute(auto, { actor: "bot" })).status).toBe("completed");
    expect(events[0]).toMatchObject({ type: "plan.approved", actor: "bot", data: { by: ["bot"] } });
    expect(events[1]).toMatchObject({ type: "plan.started", actor: "bot", data: { run: 1 } });
    expect(auto.decision).toMatchObject({ outcome: "approved", by: ["bot"] });

    const free = makePlan([{ id: "a" }], { requireApproval: false }, false);
    expect((await new Executor({ work: () => 1 }).execute(free)).status).toBe("completed");
  });

  it("refuses to execute a plan that is running or finished", async () => {
    const gate = new Gate();
    const plan = makePlan([{ id: "a" }]);
    const executor = new Executor({ work: gate.tool });
    const run = executor.execute(plan);
    await expect(executor.execute(plan)).rejects.toMatchObject({ code: "INVALID_STATE" });
    await settle();
    gate.resolve("a");
    await run;
    await expect(executor.execute(plan)).rejects.toMatchObject({ code: "INVALID_STATE", message: expect.stringContaining("completed") });
    const rejected = makePlan([{ id: "a" }], {}, false);
    rejected.reject("bob", "no");
    await expect(executor.execute(rejected)).rejects.toMatchObject({ code: "INVALID_STATE" });
  });

  it("refuses an invalid plan with VALIDATION", async () => {
    const plan = new ExecutionPlan("cyclic", { options: { requireApproval: false } });
    plan.addStep("work", "a", {}, { id: "a", dependsOn: ["b"] });
    plan.addStep("work", "b", {}, { id: "b", dependsOn: ["a"] });
    await expect(new Executor({ work: () => 1 }).execute(plan)).rejects.toMatchObject({ code: "VALIDATION", message: expect.stringContaining("cycle") });
  });
});

describe("Executor cancellation", () => {
  it("aborting the signal aborts running steps, starts nothing new and ends the plan cancelled", async () => {
    const gate = new Gate();
    const { log, hooks } = recorder();
    const controller = new AbortController();
    const plan = makePlan([{ id: "a" }, { id: "b" }, { id: "c", after: ["a"] }], { maxParallelSteps: 2 });
    const run = new Executor({ work: gate.tool }, hooks).execute(plan, { signal: controller.signal });
    await settle();
    controller.abort({ reason: "operator said stop", by: "carol" });
    const done = await run;
    expect(gate.ctx("a").signal.aborted).toBe(true);
    expect(gate.ctx("b").signal.aborted).toBe(true);
    gate.resolve("a");
    await settle();
    expect(gate.started).toEqual(["a", "b"]);
    expect(done.status).toBe("cancelled");
    expect(done.cancellation).toMatchObject({ reason: "operator said stop", by: "carol" });
    expect(done.steps.map((s) => s.status)).toEqual(["cancelled", "cancelled", "skipped"]);
    expect(done.getStep("c")?.reason).toBe("plan cancelled: operator said stop");
    expect(callbacks(log).slice(-4)).toEqual(["cancelled a", "cancelled b", "skipped c", "planComplete cancelled"]);
  });

  it("reads the cancellation reason from an Error, a string, or nothing", async () => {
    const reasons: string[] = [];
    for (const reason of [new Error("shutting down"), "user closed the tab", undefined]) {
      const controller = new AbortController();
      const gate = new Gate();
      const run = new Executor({ work: gate.tool }).execute(makePlan([{ id: "a" }]), { signal: controller.signal });
      await settle();
      controller.abort(reason);
      reasons.push((await run).cancellation?.reason ?? "none");
    }
    expect(reasons).toEqual(["shutting down", "user closed the tab", "cancelled"]);
  });

  it("an already aborted signal ends the plan cancelled without calling a tool", async () => {
    let called = false;
    const done = await new Executor({ work: () => (called = true) }).execute(makePlan([{ id: "a" }]), { signal: AbortSignal.abort("too late") });
    expect(done.status).toBe("cancelled");
    expect(called).toBe(false);
    expect(done.getStep("a")?.status).toBe("skipped");
  });

  it("cancels a step waiting for its retry backoff and clears the timer", async () => {
    const clock = new ManualClock(0);
    const controller = new AbortController();
    const gate = new Gate();
    const run = new Executor({ work: gate.tool }, { clock }).execute(makePlan([{ id: "a", retry: { maxAttempts: 3, backoffMs: 1_000 } }]), { signal: controller.signal });
    await settle();
    gate.reject("a");
    await clock.advance(10);
    controller.abort("stop");
    const done = await run;
    expect(done.getStep("a")?.status).toBe("cancelled");
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(5_000);
    expect(gate.calls).toHaveLength(1);
  });
});

describe("Executor resume and recover", () => {
  it("resume re-runs failed, skipped and cancelled steps; completed steps keep their results", async () => {
    const calls: string[] = [];
    let healthy = false;
    const tools = {
      work: (_p: unknown, ctx: { step: { id: string } }) => {
        calls.push(ctx.step.id);
        if (ctx.step.id === "b" && !healthy) throw new Error("flaky");
        return `${ctx.step.id}-result`;
      },
    };
    const plan = makePlan([{ id: "a" }, { id: "b", after: ["a"] }, { id: "c", after: ["b"] }], { requireApproval: false });
    const executor = new Executor(tools);
    expect((await executor.execute(plan)).status).toBe("failed");
    expect(plan.steps.map((s) => s.status)).toEqual(["completed", "failed", "skipped"]);
    healthy = true;
    const done = await executor.resume(plan);
    expect(done.status).toBe("completed");
    expect(done.run).toBe(2);
    expect(calls).toEqual(["a", "b", "b", "c"]);
    expect(done.steps.map((s) => s.result)).toEqual(["a-result", "b-result", "c-result"]);
  });

  it("resume keeps counting attempts, so keys never repeat, and gives the new run the full retry budget", async () => {
    const keys: string[] = [];
    let failuresLeft = 3;
    const tools = {
      work: (_p: unknown, ctx: { idempotencyKey: string }) => {
        keys.push(ctx.idempotencyKey);
        if (failuresLeft-- > 0) throw new Error("not yet");
        return "ok";
      },
    };
    const plan = makePlan([{ id: "a" }], { requireApproval: false, retry: { maxAttempts: 2 } });
    const executor = new Executor(tools);
    expect((await executor.execute(plan)).status).toBe("failed");
    expect(plan.steps[0]).toMatchObject({ status: "failed", attempts: 2 });
    const done = await executor.resume(plan);
    expect(done.status).toBe("completed");
    expect(done.steps[0]).toMatchObject({ attempts: 4, priorAttempts: 2, result: "ok" });
    expect(keys).toEqual([1, 2, 3, 4].map((n) => `${plan.id}:a:${n}`));
  });

  it("resume needs the plan approved again when requireApproval is set", async () => {
    const { events, hooks } = recorder();
    const controller = new AbortController();
    const gate = new Gate();
    const plan = makePlan([{ id: "a" }], { requireApproval: true });
    const executor = new Executor({ work: gate.tool }, hooks);
    const run = executor.execute(plan, { signal: controller.signal });
    await settle();
    controller.abort("pause");
    await run;
    await expect(executor.resume(plan)).rejects.toMatchObject({ code: "APPROVAL_REQUIRED" });
    expect(plan.status).toBe("pending_approval");
    expect(events.at(-1)).toMatchObject({ type: "plan.reopened", data: { status: "pending_approval", resetSteps: ["a"] } });
    plan.approve("alice");
    const again = executor.resume(plan);
    await settle();
    gate.resolve("a");
    expect((await again).status).toBe("completed");
  });

  it("resume refuses a plan that is not finished or completed", async () => {
    const plan = makePlan([{ id: "a" }]);
    const executor = new Executor({ work: () => 1 });
    await executor.execute(plan);
    await expect(executor.resume(plan)).rejects.toMatchObject({ code: "INVALID_STATE" });
  });

  it("recover retries steps interrupted by a crash when attempts are left, else fails them INTERRUPTED", async () => {
    // The state a crash leaves behind: executing, two steps running, one completed.
    const crashed = makePlan(
      [{ id: "done" }, { id: "retryable", retry: { maxAttempts: 2 } }, { id: "once" }, { id: "after", after: ["retryable"] }, { id: "blocked", after: ["once"] }],
      { stopOnError: false },
    );
    crashed.apply({ type: "plan.started", at: 1, data: { run: 1 } });
    crashed.apply({ type: "step.started", at: 1, data: { stepId: "done", attempt: 1 } });
    crashed.apply({ type: "step.completed", at: 2, data: { stepId: "done", attempt: 1, result: "kept", durationMs: 1 } });
    crashed.apply({ type: "step.started", at: 2, data: { stepId: "retryable", attempt: 1 } });
    crashed.apply({ type: "step.started", at: 2, data: { stepId: "once", attempt: 1 } });
    const plan = ExecutionPlan.fromJSON(JSON.stringify(crashed.toJSON()));

    const { log, hooks } = recorder();
    const calls: string[] = [];
    const done = await new Executor({ work: (_p, ctx) => calls.push(`${ctx.step.id}#${ctx.attempt}`) }, hooks).recover(plan);
    expect(calls).toEqual(["retryable#2", "after#1"]);
    expect(done.steps.map((s) => [s.id, s.status])).toEqual([
      ["done", "completed"],
      ["retryable", "completed"],
      ["once", "failed"],
      ["after", "completed"],
      ["blocked", "skipped"],
    ]);
    expect(done.getStep("done")?.result).toBe("kept");
    expect(done.getStep("once")?.error?.code).toBe("INTERRUPTED");
    expect(done.status).toBe("failed");
    expect(callbacks(log).slice(0, 3)).toEqual(["retry retryable INTERRUPTED 0", "failed once INTERRUPTED", "skipped blocked"]);
  });

  it("recover refuses a plan that is not executing", async () => {
    await expect(new Executor({}).recover(makePlan([{ id: "a" }]))).rejects.toMatchObject({ code: "INVALID_STATE" });
  });
});
