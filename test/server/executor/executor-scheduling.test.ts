import { describe, expect, it } from "vitest";
import { applyPlanEvent, ExecutionPlan, summary } from "../../../shared/index.js";
import { Executor, type ToolContext } from "../../../server/executor/executor.js";
import { ManualClock, settle } from "../../support/manual-clock.js";
import { Gate, makePlan, recorder } from "./executor-fixtures.js";

describe("Executor scheduling", () => {
  it("starts a step only when every dependency completed (diamond)", async () => {
    const gate = new Gate();
    const plan = makePlan([{ id: "a" }, { id: "b", after: ["a"] }, { id: "c", after: ["a"] }, { id: "d", after: ["b", "c"] }]);
    const run = new Executor({ work: gate.tool }).execute(plan);
    await settle();
    expect(gate.started).toEqual(["a"]);
    gate.resolve("a");
    await settle();
    expect(gate.started).toEqual(["a", "b", "c"]);
    gate.resolve("b");
    await settle();
    expect(gate.started).toEqual(["a", "b", "c"]); // d still waits for c
    gate.resolve("c");
    await settle();
    expect(gate.started).toEqual(["a", "b", "c", "d"]);
    gate.resolve("d", { ok: true });
    const done = await run;
    expect(done.status).toBe("completed");
    expect(done.getStep("d")?.result).toEqual({ ok: true });
  });

  it("runs independent steps concurrently, never more than maxParallelSteps", async () => {
    const gate = new Gate();
    const plan = makePlan(["a", "b", "c", "d", "e"].map((id) => ({ id })), { allowParallel: true, maxParallelSteps: 2 });
    const run = new Executor({ work: gate.tool }).execute(plan);
    await settle();
    expect(gate.started).toEqual(["a", "b"]);
    gate.resolve("b");
    await settle();
    expect(gate.started).toEqual(["a", "b", "c"]);
    for (const id of ["a", "c", "d", "e"]) {
      gate.resolve(id);
      await settle();
    }
    expect((await run).status).toBe("completed");
    expect(gate.maxRunning).toBe(2);
  });

  it("without allowParallel runs one step at a time in a stable topological order", async () => {
    const order = async (): Promise<string[]> => {
      const seen: string[] = [];
      let running = 0;
      const plan = makePlan([{ id: "x", after: ["y"] }, { id: "y" }, { id: "z" }, { id: "w", after: ["x", "z"] }], { allowParallel: false, maxParallelSteps: 8 });
      await new Executor({
        work: async (_p: unknown, ctx: ToolContext) => {
          running++;
          expect(running).toBe(1);
          seen.push(ctx.step.id);
          await settle();
          running--;
        },
      }).execute(plan);
      return seen;
    };
    const first = await order();
    expect(first).toEqual(["y", "x", "z", "w"]);
    expect(await order()).toEqual(first);
  });

  it("schedules by dependencies, not in waves: a step starts while an unrelated slow step runs", async () => {
    const gate = new Gate();
    const plan = makePlan([{ id: "slow" }, { id: "a" }, { id: "b", after: ["a"] }, { id: "c", after: ["b"] }]);
    const run = new Executor({ work: gate.tool }).execute(plan);
    await settle();
    gate.resolve("a");
    await settle();
    gate.resolve("b");
    await settle();
    expect(gate.started).toEqual(["slow", "a", "b", "c"]);
    expect(gate.running.has("slow")).toBe(true);
    gate.resolve("c");
    gate.resolve("slow");
    expect((await run).status).toBe("completed");
  });

  it("ends an empty plan completed with progress 100", async () => {
    const plan = makePlan([]);
    const done = await new Executor({}).execute(plan);
    expect(done.status).toBe("completed");
    expect(summary(done).progress).toBe(100);
  });

  it("stores result, attempts, times and duration on the live step returned by addStep", async () => {
    const clock = new ManualClock(5_000);
    const plan = new ExecutionPlan("timed", { options: { requireApproval: false } });
    const step = plan.addStep("wait", "waits 250ms", {});
    const later = plan.addStep("work", "after", {}, { dependsOn: [step.id] });
    const run = new Executor(
      {
        wait: () => new Promise((resolve) => clock.setTimeout(() => resolve({ waited: 250 }), 250)),
        work: () => "done",
      },
      { clock },
    ).execute(plan);
    await clock.advance(250);
    const done = await run;
    expect(done.steps[0]).toBe(step);
    expect(step).toMatchObject({ status: "completed", result: { waited: 250 }, attempts: 1, startedAt: 5_000, completedAt: 5_250, durationMs: 250 });
    expect(later).toMatchObject({ status: "completed", result: "done", startedAt: 5_250, durationMs: 0 });
    expect(done).toMatchObject({ startedAt: 5_000, finishedAt: 5_250 });
  });

  it("gives each tool its context: attempt, idempotency key, deadline, direct dependency results, signal", async () => {
    const clock = new ManualClock(10_000);
    const seen: Record<string, unknown> = {};
    const plan = makePlan([{ id: "a" }, { id: "b", after: ["a"] }, { id: "c", after: ["b"] }], { stepTimeoutMs: 1_000 });
    await new Executor(
      {
        work: (_params, ctx) => {
          seen[ctx.step.id] = { attempt: ctx.attempt, key: ctx.idempotencyKey, deadline: ctx.deadline, deps: { ...ctx.dependencies }, aborted: ctx.signal.aborted, plan: ctx.plan === plan };
          return { from: ctx.step.id };
        },
      },
      { clock },
    ).execute(plan);
    expect(seen["c"]).toEqual({ attempt: 1, key: "p1:c:1", deadline: 11_000, deps: { b: { from: "b" } }, aborted: false, plan: true });
    expect(seen["a"]).toMatchObject({ deps: {} });
  });

  it("replaces $ref params with earlier results before the call", async () => {
    const got: unknown[] = [];
    const plan = makePlan([
      { id: "a", tool: "make" },
      { id: "b", after: ["a"], tool: "make" },
      { id: "c", after: ["b"], params: { name: { $ref: "steps.a.result.user.name" }, all: [{ $ref: "steps.b.result" }], n: 1 } },
    ]);
    const done = await new Executor({
      make: (_p, ctx) => (ctx.step.id === "a" ? { user: { name: "Ada" } } : [1, 2]),
      work: (params) => {
        got.push(params);
        return null;
      },
    }).execute(plan);
    expect(done.status).toBe("completed");
    expect(got).toEqual([{ name: "Ada", all: [[1, 2]], n: 1 }]);
    expect(plan.getStep("c")?.params).toEqual({ name: { $ref: "steps.a.result.user.name" }, all: [{ $ref: "steps.b.result" }], n: 1 });
  });

  it("refuses a $ref to a step that is not a dependency before anything runs", async () => {
    const plan = makePlan([{ id: "a" }, { id: "b", params: { x: { $ref: "steps.a.result" } } }], {}, false);
    plan.options.requireApproval = false;
    await expect(new Executor({ work: () => 1 }).execute(plan)).rejects.toMatchObject({ code: "VALIDATION" });
    expect(plan.status).toBe("draft");
  });

  it("fails the step when a $ref path is missing from the result", async () => {
    const plan = makePlan([{ id: "a" }, { id: "b", after: ["a"], params: { x: { $ref: "steps.a.result.nope" } } }], { stopOnError: false });
    const done = await new Executor({ work: () => ({ yes: 1 }) }).execute(plan);
    expect(done.getStep("b")).toMatchObject({ status: "failed", error: { code: "VALIDATION" } });
    expect(done.getStep("b")?.error?.message).toContain("nope");
  });

  it("stores undefined as null and fails a result that is not JSON", async () => {
    const plan = makePlan([{ id: "none", tool: "none" }, { id: "date", tool: "date" }, { id: "nan", tool: "nan" }], { stopOnError: false });
    const done = await new Executor({ none: () => undefined, date: () => ({ when: new Date(0) }), nan: async () => NaN }).execute(plan);
    expect(done.getStep("none")).toMatchObject({ status: "completed", result: null });
    expect(done.getStep("date")).toMatchObject({ status: "failed", error: { code: "TOOL_ERROR" } });
    expect(done.getStep("date")?.error?.message).toMatch(/not JSON: when: not a plain JSON object/);
    expect(done.getStep("nan")?.error?.message).toMatch(/not JSON/);
  });

  it("changes the plan only through the events it publishes (a replay gives the same plan)", async () => {
    const plan = makePlan([{ id: "a" }, { id: "b", after: ["a"] }, { id: "c", tool: "broken" }], { stopOnError: false });
    const before = plan.toJSON();
    const { events, hooks } = recorder();
    await new Executor({ work: (_p, ctx) => ({ id: ctx.step.id }), broken: () => Promise.reject(new Error("no")) }, hooks).execute(plan);
    const replayed = events.reduce((data, event) => applyPlanEvent(data, event), before);
    expect(replayed).toEqual(plan.toJSON());
  });

  it("fires each callback once per transition, after the event is applied, in causal order", async () => {
    const { log, hooks } = recorder();
    const plan = makePlan([{ id: "a" }, { id: "b", after: ["a"] }]);
    await new Executor({ work: () => 1 }, hooks).execute(plan);
    expect(log).toEqual([
      "event plan.started (plan executing)",
      "planStart",
      "event step.started a (plan executing)",
      "start a",
      "event step.completed a (plan executing)",
      "complete a",
      "event step.started b (plan executing)",
      "start b",
      "event step.completed b (plan executing)",
      "complete b",
      "event plan.completed (plan completed)",
      "planComplete completed",
    ]);
  });

  it("keeps going when a callback throws, and reports it", async () => {
    const reported: string[] = [];
    const plan = makePlan([{ id: "a" }]);
    const done = await new Executor(
      { work: () => 1 },
      {
        onStepStart: () => {
          throw new Error("callback broke");
        },
        onEvent: (event) => {
          if (event.type === "plan.completed") throw new Error("listener broke");
        },
        onCallbackError: (error, event) => reported.push(`${event.type}: ${(error as Error).message}`),
      },
    ).execute(plan);
    expect(done.status).toBe("completed");
    expect(reported).toEqual(["step.started: callback broke", "plan.completed: listener broke"]);
  });

  it("runs a long chain of synchronous tools without deep recursion", async () => {
    const plan = new ExecutionPlan("chain", { options: { requireApproval: false } });
    for (let i = 0; i < 20_000; i++) plan.addStep("work", "", {}, { id: `s${i}`, dependsOn: i > 0 ? [`s${i - 1}`] : [] });
    const done = await new Executor({ work: () => 1 }).execute(plan);
    expect(done.status).toBe("completed");
    expect(summary(done).counts.completed).toBe(20_000);
  });
});
