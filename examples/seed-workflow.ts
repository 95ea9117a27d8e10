/**
 * The seed's scenario over the wire: an agent builds "search files → analyse them → write a
 * report", submits it for approval, serves the three tools itself (in a working directory it never
 * leaves), and ends when the plan ends.
 *
 *   PLANROOM_URL=http://127.0.0.1:8080 PLANROOM_TOKEN=<agent token> npx tsx examples/seed-workflow.ts [DIR]
 */
import { mkdtemp, readdir, readFile, stat, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { connect, reviewLink, type PlanHandle, type ToolMap } from "../client/index.js";
import { ExecutionPlan, formatDuration, type ApprovalPolicyInput, type PlanData } from "../shared/index.js";

/** Resolves `path` inside `root`, refusing anything that would leave it. */
function inside(root: string, path: string): string {
  const full = resolve(root, path);
  if (full !== root && !full.startsWith(root + sep)) throw Object.assign(new Error(`${path} is outside the working directory`), { code: "FORBIDDEN" });
  return full;
}

async function walk(dir: string, root: string, out: string[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) await walk(full, root, out);
    else out.push(relative(root, full));
  }
}

/** A `*`-glob on file names (`*.md`, `notes-*`). */
function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
}

/** A string parameter, or `fallback` when it is missing or not a string. */
function text(value: unknown, fallback: string): string {
  return typeof value === "string" ? value : fallback;
}

/** The agent's tools, confined to `root`: real, harmless file work. */
export function seedTools(root: string): ToolMap {
  const base = resolve(root);
  return {
    search_files: async (params, ctx) => {
      const pattern = globToRegExp(text(params.pattern, "*"));
      const files: string[] = [];
      await walk(inside(base, text(params.dir, ".")), base, files);
      if (ctx.signal.aborted) throw ctx.signal.reason;
      return files.filter((f) => pattern.test(f.split(sep).at(-1) ?? f)).sort();
    },
    analyze_files: async (params, ctx) => {
      const found = ctx.dependencies[text(params.from, "search")];
      const files = Array.isArray(found) ? found.map(String) : [];
      const stats = [];
      for (const file of files) {
        const text = await readFile(inside(base, file), "utf8");
        const words = text.split(/\s+/).filter(Boolean).length;
        const todos = text.split("\n").filter((l) => /\bTODO\b/.test(l)).length;
        stats.push({ file, bytes: (await stat(inside(base, file))).size, lines: text.split("\n").length, words, todos });
      }
      return stats;
    },
    write_report: async (params, ctx) => {
      const stats = ctx.dependencies[text(params.from, "analyze")];
      const rows = Array.isArray(stats) ? (stats as { file: string; lines: number; words: number; todos: number }[]) : [];
      const lines = [
        `# ${text(params.title, "File report")}`,
        "",
        `${rows.length} files, ${rows.reduce((n, r) => n + r.words, 0)} words, ${rows.reduce((n, r) => n + r.todos, 0)} TODOs.`,
        "",
        "| file | lines | words | TODOs |",
        "| --- | --- | --- | --- |",
        ...rows.map((r) => `| ${r.file} | ${r.lines} | ${r.words} | ${r.todos} |`),
      ];
      const out = inside(base, text(params.output, "report.md"));
      await writeFile(out, `${lines.join("\n")}\n`);
      return { path: relative(base, out), files: rows.length };
    },
  };
}

/** The plan: search, analyse what was found, write the report (as the seed's "search and analyze files"). */
export function seedPlan(): ExecutionPlan {
  const plan = new ExecutionPlan("Help me search and analyze files", { options: { requireApproval: true, stopOnError: true, allowParallel: true, maxParallelSteps: 3, stepTimeoutMs: 30_000 } });
  const search = plan.addStep("search_files", "Find the Markdown notes", { pattern: "*.md", dir: "notes" }, { id: "search" });
  const analyze = plan.addStep("analyze_files", "Count lines, words and TODOs in each note", { from: "search" }, { id: "analyze", dependsOn: [search.id] });
  plan.addStep("write_report", "Write the summary to report.md", { from: "analyze", title: "Notes report", output: "report.md" }, { id: "report", dependsOn: [analyze.id] });
  return plan;
}

/** Writes a few sample notes into `root/notes` for the agent to work on. */
export async function writeSampleNotes(root: string): Promise<void> {
  await mkdir(join(root, "notes"), { recursive: true });
  await writeFile(join(root, "notes", "roadmap.md"), "# Roadmap\n\nShip the approval flow.\nTODO: write the docs\nTODO: add a dashboard\n");
  await writeFile(join(root, "notes", "meeting.md"), "# Meeting\n\nReviewers agreed on a quorum of two.\n");
  await writeFile(join(root, "notes", "ignore.txt"), "not a note\n");
}

/** Options of {@link runSeedWorkflow}. */
export interface SeedWorkflowOptions {
  url: string;
  token: string;
  /** The working directory the tools are confined to. */
  dir: string;
  approval?: ApprovalPolicyInput;
  /** Called once the plan is submitted (e.g. to print links or start reviewers). */
  onSubmitted?: (handle: PlanHandle) => void;
  log?: (line: string) => void;
}

/** Runs the agent: submits the plan, serves its tools, logs progress, and resolves with the final plan. */
export async function runSeedWorkflow(options: SeedWorkflowOptions): Promise<PlanData> {
  const log = options.log ?? ((line: string) => console.log(line));
  const client = connect(options.url, { token: options.token });
  try {
    const plan = await client.submit(seedPlan(), { tools: seedTools(options.dir), approval: options.approval ?? { quorum: 2 } });
    log(plan.formatted);
    log(`\nwaiting for approval: ${reviewLink({ serverUrl: options.url, planId: plan.planId })}`);
    plan.on("vote.cast", (e) => log(`vote: ${e.data.vote.voterName} ${e.data.vote.decision}s`));
    plan.on("step.started", (e) => log(`Starting: ${plan.plan.steps.find((s) => s.id === e.data.stepId)?.description}`));
    plan.on("step.completed", (e) => log(`Completed: ${e.data.stepId} (took ${formatDuration(e.data.durationMs)})`));
    plan.on("step.failed", (e) => log(`Failed: ${e.data.stepId} - ${e.data.error.message}`));
    options.onSubmitted?.(plan);
    const final = await plan.done();
    log(`Plan finished with status: ${final.status} (progress ${plan.summary().progress.toFixed(1)}%)`);
    return final;
  } finally {
    client.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const url = process.env.PLANROOM_URL ?? "http://127.0.0.1:8080";
  const token = process.env.PLANROOM_TOKEN;
  if (!token) {
    console.error("set PLANROOM_TOKEN to an agent's token");
    process.exit(2);
  }
  const dir = process.argv[2] ?? (await mkdtemp(join(tmpdir(), "planroom-seed-")));
  if (!process.argv[2]) await writeSampleNotes(dir);
  const final = await runSeedWorkflow({ url, token, dir });
  process.exit(final.status === "completed" ? 0 : 1);
}
