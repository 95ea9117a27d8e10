import { describe, expect, it } from "vitest";
import { ExecutionPlan, formatPlan, summary } from "../../shared/index.js";

function seedPlan(): ExecutionPlan {
  let now = 1_700_000_000_000;
  const plan = new ExecutionPlan("Search and analyze files", { id: "plan-1", clock: () => now, options: { maxParallelSteps: 3, retry: { maxAttempts: 2, backoffMs: 500 } } });
  const search = plan.addStep("search_files", "Find Go files", { pattern: "*.go", root: "/src" });
  const read = plan.addStep("read_file", "Read the main file", { path: "/src/main.go" }, { dependsOn: [search.id] });
  plan.addStep("analyze", "Analyze the code", { text: "x".repeat(80), focus: ["errors", "style"] }, { dependsOn: [search.id, read.id] });
  now += 1;
  return plan;
}

describe("formatPlan", () => {
  it("renders a plan awaiting review", () => {
    expect(formatPlan(seedPlan())).toMatchInlineSnapshot(`
      "Plan: Search and analyze files
      ID: plan-1 · version 1 · status: draft
      Options: approval required · stop on error · parallel (max 3) · step timeout 30s · retry 2× (backoff 500ms)

      Steps (3):
        1. search_files — Find Go files
           params: {"pattern":"*.go","root":"/src"}
        2. read_file — Read the main file
           params: {"path":"/src/main.go"}
           depends on: 1 (step-1)
        3. analyze — Analyze the code
           params: {"text":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…(+20 chars)","focus":["errors","style"]}
           depends on: 1 (step-1), 2 (step-2)"
    `);
  });

  it("renders a run with marks, durations, errors, reasons and progress", () => {
    const plan = seedPlan();
    plan.approve("alice@example.com");
    const at = plan.createdAt;
    plan.apply({ type: "plan.started", at, data: { run: 1 } });
    plan.apply({ type: "step.started", at, data: { stepId: "step-1", attempt: 1 } });
    plan.apply({ type: "step.completed", at: at + 1_500, data: { stepId: "step-1", attempt: 1, result: ["a.go"], durationMs: 1_500 } });
    plan.apply({ type: "step.started", at: at + 1_500, data: { stepId: "step-2", attempt: 1 } });
    plan.apply({ type: "step.started", at: at + 2_000, data: { stepId: "step-2", attempt: 2 } });
    plan.apply({ type: "step.failed", at: at + 2_042, data: { stepId: "step-2", attempt: 2, error: { code: "TOOL_ERROR", message: "permission denied" }, durationMs: 542 } });
    plan.apply({ type: "step.skipped", at: at + 2_042, data: { stepId: "step-3", reason: 'dependency "step-2" failed' } });
    plan.apply({ type: "plan.failed", at: at + 2_042, data: { error: { code: "TOOL_ERROR", message: 'step "step-2" failed: permission denied' }, durationMs: 2_042 } });
    expect(formatPlan(plan, { maxValueLength: 10 })).toMatchInlineSnapshot(`
      "Plan: Search and analyze files
      ID: plan-1 · version 1 · status: failed
      Options: approval required · stop on error · parallel (max 3) · step timeout 30s · retry 2× (backoff 500ms)
      Decision: approved by alice@example.com
      Progress: 3/3 steps (100.0%)
      Error: step "step-2" failed: permission denied

      Steps (3):
        1. [x] search_files — Find Go files (1.5s)
           params: {"pattern":"*.go","root":"/src"}
        2. [!] read_file — Read the main file (542ms)
           params: {"path":"/src/main.…(+2 chars)"}
           depends on: 1 (step-1)
           attempts: 2
           error: permission denied
        3. [-] analyze — Analyze the code
           params: {"text":"xxxxxxxxxx…(+70 chars)","focus":["errors","style"]}
           depends on: 1 (step-1), 2 (step-2)
           skipped: dependency "step-2" failed"
    `);
  });

  it("renders an empty plan and is deterministic", () => {
    const plan = new ExecutionPlan("Nothing to do", { id: "empty", clock: () => 0, options: { requireApproval: false, stopOnError: false, allowParallel: false } });
    const text = formatPlan(plan);
    expect(text).toBe(formatPlan(plan));
    expect(text).toMatchInlineSnapshot(`
      "Plan: Nothing to do
      ID: empty · version 1 · status: draft
      Options: no approval needed · continue on error · sequential · step timeout 30s · no retry

      Steps (0):
        (none)"
    `);
  });
});

describe("summary", () => {
  it("reports 0 for an empty plan not yet finished and 100 once finished, never NaN", () => {
    const plan = new ExecutionPlan("empty", { options: { requireApproval: false } });
    expect(summary(plan).progress).toBe(0);
    plan.approve("x").apply({ type: "plan.started", at: 10, data: { run: 1 } }).apply({ type: "plan.completed", at: 10, data: { durationMs: 0 } });
    expect(summary(plan, 99)).toMatchObject({ progress: 100, total: 0, finished: 0, elapsedMs: 0 });
  });

  it("counts steps by status, running steps, durations and elapsed time", () => {
    const plan = seedPlan();
    plan.approve("a");
    plan.apply({ type: "plan.started", at: 1_000, data: { run: 1 } });
    plan.apply({ type: "step.started", at: 1_000, data: { stepId: "step-1", attempt: 1 } });
    plan.apply({ type: "step.completed", at: 1_200, data: { stepId: "step-1", attempt: 1, result: null, durationMs: 200 } });
    plan.apply({ type: "step.started", at: 1_200, data: { stepId: "step-2", attempt: 1 } });
    const s = summary(plan, 1_500);
    expect(s).toMatchObject({ total: 3, finished: 1, elapsedMs: 500, totalDurationMs: 200, status: "executing" });
    expect(s.counts).toEqual({ pending: 1, running: 1, completed: 1, failed: 0, skipped: 0, cancelled: 0 });
    expect(s.progress).toBeCloseTo(100 / 3);
    expect(s.running).toEqual([{ id: "step-2", tool: "read_file", description: "Read the main file", attempt: 1, startedAt: 1_200 }]);
  });
});
