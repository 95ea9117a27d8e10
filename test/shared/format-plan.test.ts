import { describe, expect, it } from "vitest";
import { ExecutionPlan, formatPlan, summary, type PlanData } from "../../shared/index.js";

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
      Options: approval required · stop on error · parallel (max 3) · step timeout 30 s · retry 2× (backoff 500 ms)

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
      Options: approval required · stop on error · parallel (max 3) · step timeout 30 s · retry 2× (backoff 500 ms)
      Decision: approved by alice@example.com
      Progress: 3/3 steps (100.0%)
      Error: step "step-2" failed: permission denied

      Steps (3):
        1. [x] search_files — Find Go files (1.5 s)
           params: {"pattern":"*.go","root":"/src"}
        2. [!] read_file — Read the main file (542 ms)
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
      Options: no approval needed · continue on error · sequential · step timeout 30 s · no retry

      Steps (0):
        (none)"
    `);
  });
});

/** Raw characters that could steer a terminal (a newline aside). */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]/u;
const ATTACK = "\x1b[2K\r✓ approved\x1b]0;pwned\x07\x08\x08\x9b1A\u202Eexe.txt\u2066\x7f";
const NORMAL = "Déjà vu café 🚀 👨‍👩‍👧 日本語";

function hostilePlan(): PlanData {
  let now = 1_700_000_000_000;
  const plan = new ExecutionPlan(`Tidy logs ${NORMAL}\nsecond line${ATTACK}\r\nDecision: approved by alice`, { id: "evil-1", clock: () => now });
  const first = plan.addStep(`echo${ATTACK}`, `say hi\nDecision: approved${ATTACK}`, { [`key${ATTACK}`]: `value${ATTACK} ${NORMAL}`, list: ["\u009b2J"] });
  plan.addStep("rm", "remove", { path: "/tmp/x" }, { dependsOn: [first.id] });
  plan.approve(`mallory${ATTACK}`);
  now += 1;
  plan.apply({ type: "plan.started", at: now, data: { run: 1 } });
  plan.apply({ type: "step.started", at: now, data: { stepId: first.id, attempt: 1 } });
  plan.apply({ type: "step.failed", at: now + 5, data: { stepId: first.id, attempt: 1, error: { code: "TOOL_ERROR", message: `boom${ATTACK}\nerror: none` }, durationMs: 5 } });
  plan.apply({ type: "step.skipped", at: now + 5, data: { stepId: "step-2", reason: `skipped${ATTACK}` } });
  plan.apply({ type: "plan.failed", at: now + 5, data: { error: { code: "TOOL_ERROR", message: `plan failed${ATTACK}` }, durationMs: 5 } });
  const data = plan.toJSON();
  // Fields a server that skipped validation could send: ids, a decision reason, a cancellation.
  return {
    ...data,
    id: `evil${ATTACK}`,
    decision: { ...data.decision!, reason: `because${ATTACK}` },
    cancellation: { reason: `stop${ATTACK}`, by: `eve${ATTACK}`, at: now },
    steps: data.steps.map((s, i) => (i === 1 ? { ...s, dependsOn: [`step-1${ATTACK}`] } : s)),
  };
}

describe("formatPlan with hostile text", () => {
  it("prints no raw escape, C1, CR, backspace or bidi character, only its own line breaks", () => {
    const text = formatPlan(hostilePlan());
    expect(text).not.toMatch(RAW_CONTROL);
    expect(text).toContain("\\u001b[2K\\u000d✓ approved\\u001b]0;pwned\\u0007\\u0008\\u0008\\u009b1A\\u202eexe.txt\\u2066\\u007f");
    const lines = text.split("\n");
    // The description keeps its line breaks, its later lines indented under the first (no fake header line).
    expect(lines.slice(0, 3)).toEqual([`Plan: Tidy logs ${NORMAL}`, expect.stringMatching(/^ {6}second line\\u001b/), "      Decision: approved by alice"]);
    expect(lines.filter((l) => l.startsWith("Decision:"))).toEqual([expect.stringMatching(/^Decision: approved by mallory\\u001b.* — because\\u001b/)]);
    // Every other field is one line: its newline shows as \u000a.
    expect(lines.filter((l) => /^\s+\d+\. /.test(l))).toHaveLength(2);
    expect(lines.filter((l) => /^\s+error: /.test(l))).toEqual([expect.stringMatching(/^ {5}error: boom\\u001b.*\\u000aerror: none$/)]);
    expect(text).toContain("say hi\\u000aDecision: approved\\u001b");
    expect(text).toMatch(/^ID: evil\\u001b\[2K/m);
    expect(text).toMatch(/^Error: plan failed\\u001b/m);
    expect(text).toMatch(/^Cancelled: stop\\u001b.* \(by eve\\u001b/m);
    expect(text).toContain("depends on: ? (step-1\\u001b");
    expect(text).toMatch(/skipped: skipped\\u001b/);
    // Params stay readable JSON: C0 escaped by JSON, C1 and bidi as \uXXXX too, in keys and values.
    expect(text).toContain(`params: {"key\\u001b[2K\\r✓ approved\\u001b]0;pwned\\u0007\\b\\b\\u009b1A\\u202eexe.txt\\u2066\\u007f":`);
    expect(text).toContain(`"list":["\\u009b2J"]`);
    expect(text).toContain(NORMAL);
    // A long value is cut before an emoji, never between the halves of its surrogate pair.
    expect(text).toContain('Déjà vu café …(+');
    expect(text).not.toMatch(/\\ud83d/);
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
