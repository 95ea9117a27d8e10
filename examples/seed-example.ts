/**
 * The seed's ExecutionPlan example, in-process: build a plan of a few steps with dependencies, show
 * it with `formatPlan`, approve it, run it with an executor whose callbacks print each step's start,
 * completion or failure, then print the final progress and the plan as it ended.
 *
 *   npm run example
 */
import { ExecutionPlan, formatDuration, formatPlan, summary, type JsonValue } from "../shared/index.js";
import { Executor, type ToolHandler } from "../server/index.js";

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });

// Toy tools: they only pretend to touch files.
const tools: Record<string, ToolHandler> = {
  search_files: async (params, ctx) => {
    await sleep(40, ctx.signal);
    return { pattern: params.pattern ?? "*", files: ["main.go", "server.go", "server_test.go"] };
  },
  read_file: async (params, ctx) => {
    await sleep(30, ctx.signal);
    return { path: params.path ?? null, lines: 120 };
  },
  analyze: async (params, ctx) => {
    await sleep(50, ctx.signal);
    const files = params.files as JsonValue[];
    return { files: files.length, findings: ["unchecked error in main.go:42"] };
  },
  write_report: async (_params, ctx) => {
    await sleep(20, ctx.signal);
    if (ctx.attempt === 1) throw Object.assign(new Error("report store busy"), { code: "BUSY" });
    return { report: "reports/analysis.md" };
  },
};

const plan = new ExecutionPlan("Search the Go sources, analyze them and write a report", {
  options: { requireApproval: true, stopOnError: true, allowParallel: true, maxParallelSteps: 3, stepTimeoutMs: 30_000 },
});
const search = plan.addStep("search_files", "Find Go files", { pattern: "*.go" });
const read = plan.addStep("read_file", "Read the entry point", { path: "main.go" }, { dependsOn: [search.id] });
const analyze = plan.addStep(
  "analyze",
  "Analyze what was found",
  { files: { $ref: `steps.${search.id}.result.files` }, focus: "errors" },
  { dependsOn: [search.id, read.id] },
);
plan.addStep("write_report", "Write the report", {}, { dependsOn: [analyze.id], retry: { maxAttempts: 2, backoffMs: 100 } });

console.log(formatPlan(plan));
console.log();

if (!plan.isApproved()) plan.approve("alice@example.com");
console.log(`Approved by ${plan.decision?.by.join(", ")}\n`);

const executor = new Executor(tools, {
  onStepStart: (_plan, step) => console.log(`Starting:  ${step.description}${step.attempts > 1 ? ` (attempt ${step.attempts})` : ""}`),
  onStepComplete: (_plan, step) => console.log(`Completed: ${step.description} (took ${formatDuration(step.durationMs ?? 0)})`),
  onStepRetry: (_plan, step, error, delayMs) => console.log(`Retrying:  ${step.description} in ${formatDuration(delayMs)} - ${error.code}: ${error.message}`),
  onStepFailed: (_plan, step, error) => console.log(`Failed:    ${step.description} - ${error.code}: ${error.message}`),
  onPlanComplete: (done) => console.log(`\nPlan ${done.status}`),
});

const done = await executor.execute(plan);
const s = summary(done);
console.log(`Progress: ${s.progress.toFixed(1)}% (${s.counts.completed} completed, ${s.counts.failed} failed, ${s.counts.skipped} skipped) in ${formatDuration(s.elapsedMs)}\n`);
console.log(formatPlan(done));
process.exitCode = done.status === "completed" ? 0 : 1;
