import { describe, expect, it } from "vitest";
import { ExecutionOptionsSchema, PlanroomError, type ExecutionOptions } from "../../../shared/index.js";
import { Executor } from "../../../server/executor/executor.js";
import { withoutUndefined } from "../../../server/executor/plan-options.js";
import { makePlan, recorder } from "./executor-fixtures.js";

const DEFAULTS = ExecutionOptionsSchema.parse({});

/** Options as a JavaScript caller may assign them, past the type checker. */
function assign(plan: { options: ExecutionOptions }, options: Record<string, unknown>): void {
  plan.options = options as unknown as ExecutionOptions;
}

describe("Executor: options assigned directly to a plan", () => {
  it("treats an option set to undefined as not set: the run goes as with the default", async () => {
    const plan = makePlan([{ id: "a" }, { id: "b", after: ["a"] }], { requireApproval: false });
    assign(plan, { ...plan.options, retry: undefined, maxParallelSteps: undefined, typo: undefined });
    const calls: string[] = [];
    const done = await new Executor({ work: (_p, ctx) => calls.push(ctx.step.id) }).execute(plan);
    expect(done.status).toBe("completed");
    expect(calls).toEqual(["a", "b"]);
    expect(plan.options.retry).toEqual(DEFAULTS.retry);
    expect(plan.options.maxParallelSteps).toBe(DEFAULTS.maxParallelSteps);
    expect(plan.options.stepTimeoutMs).toBe(60_000); // what was set stays set
    expect("typo" in plan.options).toBe(false);
  });

  it("fails a failing step under `retry: undefined` by the default policy (no retry), not with INTERNAL", async () => {
    const plan = makePlan([{ id: "a" }, { id: "b" }], { requireApproval: false, stopOnError: false });
    assign(plan, { ...plan.options, retry: undefined });
    let calls = 0;
    const done = await new Executor({ work: (_p, ctx) => (calls++, ctx.step.id === "a" ? Promise.reject(new Error("no")) : "ok") }).execute(plan);
    expect(calls).toBe(2);
    expect(plan.steps.map((s) => [s.status, s.attempts])).toEqual([
      ["failed", 1],
      ["completed", 1],
    ]);
    expect(done.error).toMatchObject({ code: "TOOL_ERROR", message: 'step "a" failed: no' });
  });

  it("fills undefined fields of a nested retry policy with their defaults", async () => {
    let tries = 0;
    const plan = makePlan([{ id: "a" }], { requireApproval: false });
    assign(plan, { ...plan.options, retry: { maxAttempts: 2, backoffMs: undefined } });
    const done = await new Executor({ work: () => (tries++ === 0 ? Promise.reject(new Error("once")) : "ok") }).execute(plan);
    expect(done.status).toBe("completed");
    expect(tries).toBe(2);
    expect(plan.options.retry).toEqual({ ...DEFAULTS.retry, maxAttempts: 2 });
  });

  it.each([
    ["maxParallelSteps", -1],
    ["maxParallelSteps", "x"],
    ["stepTimeoutMs", 0],
    ["stopOnError", "yes"],
  ])("refuses %s = %j with VALIDATION before anything runs", async (key, value) => {
    const { events, hooks } = recorder();
    const plan = makePlan([{ id: "a" }], { requireApproval: false }, false);
    const bad = { ...plan.options, [key]: value };
    assign(plan, bad);
    let calls = 0;
    const error = await new Executor({ work: () => calls++ }, hooks).execute(plan).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlanroomError);
    expect(error).toMatchObject({ code: "VALIDATION", message: expect.stringContaining(`options.${key}`), issues: [expect.objectContaining({ path: ["options", key] })] });
    expect(events).toEqual([]);
    expect(calls).toBe(0);
    expect(plan.status).toBe("draft");
    expect(plan.options).toBe(bad); // left as it was
  });

  it("names a bad field of the retry policy, and refuses options that are not an object", async () => {
    const plan = makePlan([{ id: "a" }]);
    assign(plan, { ...plan.options, retry: { maxAttempts: 0 } });
    await expect(new Executor({ work: () => 1 }).execute(plan)).rejects.toMatchObject({ code: "VALIDATION", message: expect.stringContaining("options.retry.maxAttempts") });
    plan.options = null as unknown as ExecutionOptions;
    await expect(new Executor({ work: () => 1 }).execute(plan)).rejects.toMatchObject({ code: "VALIDATION", issues: [expect.objectContaining({ path: ["options"] })] });
    expect(plan.status).toBe("approved");
  });

  it("checks them in resume before the plan is reopened, and in recover", async () => {
    const { events, hooks } = recorder();
    const plan = makePlan([{ id: "a" }], { requireApproval: false });
    const executor = new Executor({ work: () => Promise.reject(new Error("no")) }, hooks);
    expect((await executor.execute(plan)).status).toBe("failed");
    const seen = events.length;
    assign(plan, { ...plan.options, maxParallelSteps: -1 });
    await expect(executor.resume(plan)).rejects.toMatchObject({ code: "VALIDATION" });
    expect(events.length).toBe(seen);
    expect(plan.status).toBe("failed");

    const crashed = makePlan([{ id: "a" }]);
    crashed.apply({ type: "plan.started", at: 1, data: { run: 1 } });
    assign(crashed, { ...crashed.options, stepTimeoutMs: "soon" });
    await expect(new Executor({ work: () => 1 }, hooks).recover(crashed)).rejects.toMatchObject({ code: "VALIDATION", message: expect.stringContaining("options.stepTimeoutMs") });
    expect(events.length).toBe(seen);
    expect(crashed.status).toBe("executing");
  });
});

describe("withoutUndefined", () => {
  it("drops undefined entries of plain objects, deeply, and leaves other values alone", () => {
    const date = new Date(0);
    expect(withoutUndefined({ a: undefined, b: 1, c: { d: undefined, e: null }, f: [undefined], g: date })).toStrictEqual({ b: 1, c: { e: null }, f: [undefined], g: date });
    expect(withoutUndefined(undefined)).toBeUndefined();
    expect(withoutUndefined("x")).toBe("x");
  });
});
