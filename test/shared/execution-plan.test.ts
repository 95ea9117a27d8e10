import { describe, expect, it } from "vitest";
import { applyEvent, ApprovalPolicySchema, ExecutionPlan, findStep, stepIndexOf, type PlanEvent, type PlanState, type Step } from "../../shared/index.js";
import { PlanLog } from "../support/plan-log.js";

describe("ExecutionPlan", () => {
  it("keeps the step returned by addStep live after more steps are added", () => {
    const plan = new ExecutionPlan("live steps");
    const first = plan.addStep("work", "first");
    const handles = [first];
    for (let i = 0; i < 50; i++) handles.push(plan.addStep("work", `step ${i}`, {}, { dependsOn: [first.id] }));
    expect(plan.steps[0]).toBe(first);
    expect(plan.getStep(first.id)).toBe(first);
    plan.approve("alice").apply({ type: "plan.started", at: 1, data: { run: 1 } });
    plan.apply({ type: "step.started", at: 2, data: { stepId: first.id, attempt: 1 } });
    plan.apply({ type: "step.completed", at: 3, data: { stepId: first.id, attempt: 1, result: { n: 1 }, durationMs: 1 } });
    expect(first).toMatchObject({ status: "completed", result: { n: 1 } });
    expect(handles.every((h, i) => plan.steps[i] === h)).toBe(true);
  });

  it("gives plans ids of letters and digits only, so that none reads as a command-line option", () => {
    const ids = new Set(Array.from({ length: 2_000 }, () => new ExecutionPlan("id").id));
    expect(ids.size).toBe(2_000);
    for (const id of ids) expect(id).toMatch(/^[0-9A-Za-z]{14}$/);
  });

  it("gives generated ids that never collide with given ones, and refuses duplicates and bad ids", () => {
    const plan = new ExecutionPlan("ids");
    plan.addStep("work", "given", {}, { id: "step-2" });
    expect(plan.addStep("work", "generated").id).toBe("step-3");
    expect(() => plan.addStep("work", "dup", {}, { id: "step-2" })).toThrow(expect.objectContaining({ code: "VALIDATION" }));
    expect(() => plan.addStep("work", "dots", {}, { id: "a.b" })).toThrow(expect.objectContaining({ code: "VALIDATION" }));
  });

  it("round-trips through JSON, keeping its execution record", () => {
    const plan = new ExecutionPlan("round trip", { id: "rt", options: { maxParallelSteps: 7, retry: { maxAttempts: 3 } } });
    const a = plan.addStep("work", "a", { deep: { list: [1, "two", null, true] } });
    plan.addStep("work", "b", { from: { $ref: `steps.${a.id}.result` } }, { dependsOn: [a.id], retry: { maxAttempts: 2, backoffMs: 5 } });
    plan.approve("alice").apply({ type: "plan.started", at: 5, data: { run: 1 } });
    plan.apply({ type: "step.started", at: 6, data: { stepId: a.id, attempt: 1 } });
    plan.apply({ type: "step.completed", at: 9, data: { stepId: a.id, attempt: 1, result: { ok: [1] }, durationMs: 3 } });
    const text = JSON.stringify(plan);
    const back = ExecutionPlan.fromJSON(text);
    expect(back).toBeInstanceOf(ExecutionPlan);
    expect(back.toJSON()).toEqual(plan.toJSON());
    expect(JSON.parse(JSON.stringify(back))).toEqual(JSON.parse(text));
    expect(back.getStep("step-2")?.retry).toEqual({ maxAttempts: 2, backoffMs: 5, factor: 2, maxBackoffMs: 60_000 });
  });

  it("refuses JSON that is not a plan, with VALIDATION", () => {
    expect(() => ExecutionPlan.fromJSON("{not json")).toThrow(expect.objectContaining({ code: "VALIDATION" }));
    expect(() => ExecutionPlan.fromJSON({ id: "x" })).toThrow(expect.objectContaining({ code: "VALIDATION" }));
  });

  it("builds a validated draft from author input", () => {
    const plan = ExecutionPlan.fromInput({ description: "input", steps: [{ id: "a", tool: "work" }, { tool: "work", dependsOn: ["a"] }] });
    expect(plan.steps.map((s) => [s.id, s.dependsOn])).toEqual([
      ["a", []],
      ["step-2", ["a"]],
    ]);
    expect(() => ExecutionPlan.fromInput({ description: "cyclic", steps: [{ id: "a", tool: "w", dependsOn: ["a"] }] })).toThrow(expect.objectContaining({ code: "VALIDATION" }));
  });

  it("validates author input once, with the caller's tool check when given", () => {
    const input = { description: "tools", steps: [{ id: "a", tool: "work" }, { id: "b", tool: "mystery", dependsOn: ["a"] }] };
    const asked: string[] = [];
    const hasTool = (name: string) => (asked.push(name), name === "work");
    expect(() => ExecutionPlan.fromInput(input, {}, { hasTool })).toThrow(expect.objectContaining({ code: "UNKNOWN_TOOL", issues: [expect.objectContaining({ path: ["steps", 1, "tool"] })] }));
    expect(asked).toEqual(["work", "mystery"]); // one validation pass
    expect(ExecutionPlan.fromInput(input, { id: "p1" }).id).toBe("p1"); // no tool check without one
    asked.length = 0;
    const plan = ExecutionPlan.fromInput({ ...input, steps: [input.steps[0]] }, {}, { hasTool });
    expect(plan.steps.map((s) => s.id)).toEqual(["a"]);
    expect(asked).toEqual(["work"]);
  });

  it("finds steps in O(1) through an index that follows appends and replaced arrays", () => {
    const plan = new ExecutionPlan("index");
    for (let i = 0; i < 100; i++) plan.addStep("work", "", {}, { id: `s${i}` });
    expect(stepIndexOf(plan, "s42")).toBe(42);
    expect(findStep(plan, "nope")).toBeUndefined();
    plan.steps = plan.steps.slice(50);
    expect(stepIndexOf(plan, "s42")).toBe(-1);
    expect(stepIndexOf(plan, "s60")).toBe(10);
    plan.steps.reverse(); // changed in place: found out of place, then reindexed
    expect(findStep(plan, "s60")?.id).toBe("s60");
    expect(stepIndexOf(plan, "s99")).toBe(0);
  });
});

describe("applyEvent", () => {
  const submitted = (): PlanEvent => {
    const plan = new ExecutionPlan("logged", { id: "p1", clock: () => 1 });
    plan.addStep("work", "a", {}, { id: "a" });
    plan.submitForApproval();
    const event: PlanEvent = {
      planId: "p1",
      seq: 1,
      type: "plan.submitted",
      at: 1,
      data: { plan: plan.toJSON(), policy: ApprovalPolicySchema.parse({}), submittedBy: { id: "agent", name: "Agent" }, tools: [], autoExecute: false },
    };
    return event;
  };

  it("creates the state, applies events in order and ignores one already applied", () => {
    let state: PlanState = applyEvent(undefined, submitted());
    const approved: PlanEvent = { planId: "p1", seq: 2, type: "plan.approved", at: 2, data: { by: ["alice"] } };
    state = applyEvent(state, approved);
    expect(state).toMatchObject({ seq: 2, plan: { status: "approved" } });
    const again = applyEvent(state, approved);
    expect(again).toBe(state);
    expect(state.seq).toBe(2);
    expect(applyEvent(state, { ...submitted(), seq: 1 })).toBe(state);
  });

  it("throws CONFLICT on a gap, and for an event before the plan is known, changing nothing", () => {
    const state = applyEvent(undefined, submitted());
    const before = structuredClone(state);
    expect(() => applyEvent(state, { planId: "p1", seq: 3, type: "plan.approved", at: 3, data: { by: ["x"] } })).toThrow(expect.objectContaining({ code: "CONFLICT" }));
    expect(state).toEqual(before);
    expect(() => applyEvent(undefined, { planId: "p1", seq: 2, type: "plan.approved", at: 3, data: { by: ["x"] } })).toThrow(expect.objectContaining({ code: "CONFLICT" }));
  });

  it("keeps when the approval request was opened: submission, revision, reopening to approval", () => {
    const first = submitted();
    let state: PlanState = applyEvent(undefined, { ...first, at: 100 });
    expect(state.requestedAt).toBe(100);
    const vote = { voterId: "alice", voterName: "Alice", decision: "approve" as const, version: 1, at: 150 };
    state = applyEvent(state, { planId: "p1", seq: 2, type: "vote.cast", at: 150, data: { vote } });
    expect(state.requestedAt).toBe(100);
    const next = { ...structuredClone(state.plan), version: 2 };
    const changes = { description: false, options: [], stepsAdded: [], stepsRemoved: [], stepsChanged: [] };
    state = applyEvent(state, { planId: "p1", seq: 3, type: "plan.revised", at: 200, data: { plan: next, changes, dismissedVotes: 1 } });
    expect(state).toMatchObject({ requestedAt: 200, votes: [] });
    state = applyEvent(state, { planId: "p1", seq: 4, type: "plan.approved", at: 250, data: { by: ["alice"] } });
    state = applyEvent(state, { planId: "p1", seq: 5, type: "plan.cancelled", at: 300, data: { reason: "stop" } });
    expect(state.requestedAt).toBe(200);
    state = applyEvent(state, { planId: "p1", seq: 6, type: "plan.reopened", at: 400, data: { status: "approved", resetSteps: [] } });
    expect(state.requestedAt).toBe(200);
    state = applyEvent(state, { planId: "p1", seq: 7, type: "plan.cancelled", at: 450, data: { reason: "again" } });
    state = applyEvent(state, { planId: "p1", seq: 8, type: "plan.reopened", at: 500, data: { status: "pending_approval", resetSteps: ["a"] } });
    expect(state).toMatchObject({ requestedAt: 500, plan: { status: "pending_approval" } });
  });

  it("refuses step events unless the plan is executing", () => {
    const state = applyEvent(undefined, submitted());
    expect(() => applyEvent(state, { planId: "p1", seq: 2, type: "step.started", at: 2, data: { stepId: "a", attempt: 1 } })).toThrow(expect.objectContaining({ code: "INVALID_STATE" }));
    expect(state.seq).toBe(1);
  });

  it("keeps a step's wait for its agent until it resumes or ends, and refuses a wait of a step that is not running", () => {
    const log = new PlanLog("p1", { description: "d", steps: [{ id: "a", tool: "t" }] }, { tools: ["t"] });
    log.append({ type: "plan.approved", data: { by: ["r"] } });
    log.append({ type: "plan.started", data: { run: 1 } });
    expect(() => log.append({ type: "step.waiting", data: { stepId: "a", attempt: 1, reason: "agent", tool: "t" } })).toThrow(expect.objectContaining({ code: "INVALID_STATE" }));
    log.append({ type: "step.started", data: { stepId: "a", attempt: 1 } });
    const waiting = log.append({ type: "step.waiting", data: { stepId: "a", attempt: 1, reason: "agent", tool: "t" } });
    const step = (): Step => log.state.plan.steps[0]!;
    expect(step().waiting).toEqual({ reason: "agent", tool: "t", since: waiting.at });
    expect(step().status).toBe("running");
    log.append({ type: "step.resumed", data: { stepId: "a", attempt: 1, waitedMs: 20 } });
    expect(step().waiting).toBeUndefined();
    log.append({ type: "step.waiting", data: { stepId: "a", attempt: 1, reason: "agent", tool: "t" } });
    log.append({ type: "step.failed", data: { stepId: "a", attempt: 1, error: { code: "AGENT_DISCONNECTED", message: "gone" } } });
    expect(step().waiting).toBeUndefined();
    expect(step().error?.code).toBe("AGENT_DISCONNECTED");
  });
});
