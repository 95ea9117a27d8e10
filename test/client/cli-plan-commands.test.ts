import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "../../client/index.js";
import type { PlanroomServer } from "../../server/index.js";
import { runCli, startCli } from "../support/cli-process.js";
import { startRealServer } from "../support/real-server.js";
import { TOKENS } from "../support/test-principals.js";

const PLAN_FILE = new URL("../../examples/plan.json", import.meta.url).pathname;
let server: PlanroomServer;
let cleanup: () => Promise<void>;
let dir: string;

beforeAll(async () => {
  ({ server, cleanup } = await startRealServer());
  dir = await mkdtemp(join(tmpdir(), "planroom-cli-plans-"));
});
afterAll(async () => {
  await cleanup();
  await rm(dir, { recursive: true, force: true });
});

const as = (token: string): Record<string, string> => ({ PLANROOM_URL: server.url, PLANROOM_TOKEN: token });

async function writePlan(name: string, plan: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(plan));
  return path;
}

async function submitted(file: string, args: string[] = []): Promise<string> {
  const run = await runCli(["submit", file, "--json", ...args], as(TOKENS.agent));
  expect(run.code, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as { planId: string }).planId;
}

async function status(planId: string): Promise<{ status: string; version: number; steps: { id: string }[] }> {
  const run = await runCli(["show", planId, "--json"], as(TOKENS.observer));
  expect(run.code, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as { plan: { status: string; version: number; steps: { id: string }[] } }).plan;
}

describe("planroom execute, resume and show", { timeout: 90_000 }, () => {
  it("execute --wait runs an approved plan; show prints each step's result or error and the agent's tools; resume reopens it", async () => {
    const file = await writePlan("slow.json", {
      description: "Greet, then wait too long",
      options: { stopOnError: true, stepTimeoutMs: 100 },
      steps: [
        { id: "greet", tool: "echo", params: { message: "hello" } },
        { id: "slow", tool: "sleep", params: { ms: 5_000 }, dependsOn: ["greet"] },
      ],
    });
    const planId = await submitted(file, ["--no-auto-execute"]);
    expect((await runCli(["approve", planId], as(TOKENS.reviewer1))).code).toBe(0);
    expect((await status(planId)).status).toBe("approved");

    const executed = await runCli(["execute", planId, "--wait"], as(TOKENS.agent));
    expect(executed.code, executed.stderr).toBe(1);
    expect(executed.stdout).toContain(`started plan ${planId}, waiting for it to end`);

    const show = await runCli(["show", planId], as(TOKENS.reviewer1));
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain("Agent tools: none (every step runs a server tool)");
    expect(show.stdout).toContain('Results:\n  ✓ greet: {"message":"hello"}\n  ✗ slow: TIMEOUT: ');

    const resumed = await runCli(["resume", planId], as(TOKENS.agent));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`plan ${planId} is back awaiting approval`);
    expect((await status(planId)).status).toBe("pending_approval");

    // Only the submitter or an admin starts or resumes a plan: the server's refusal is exit 2.
    const refused = await runCli(["execute", planId, "--json"], as(TOKENS.reviewer1));
    expect(refused.code).toBe(2);
    expect(JSON.parse(refused.stderr)).toMatchObject({ error: { code: "FORBIDDEN" } });
  });
});

describe("planroom execute of a plan whose agent is away", { timeout: 90_000 }, () => {
  it("warns on stderr that no connected agent serves the plan's tools, and keeps --json on stdout one document", async () => {
    const agent = connect(server.url, { token: TOKENS.agent });
    const plan = { description: "Deploy from the agent", steps: [{ id: "deploy", tool: "deploy_site" }] };
    const { planId } = await agent.command("plan:submit", { plan, tools: ["deploy_site"], autoExecute: false });
    agent.close();
    expect((await runCli(["approve", planId], as(TOKENS.reviewer1))).code).toBe(0);
    const executed = await runCli(["execute", planId, "--json"], as(TOKENS.agent));
    expect(executed.code, executed.stderr).toBe(0);
    expect(JSON.parse(executed.stdout)).toMatchObject({ planId, unservedTools: ["deploy_site"] });
    expect(executed.stderr).toContain("warning: no connected agent serves deploy_site; the steps that call it wait for the agent");
    expect((await runCli(["cancel", planId], as(TOKENS.agent))).code).toBe(0);
  });
});

describe("planroom revise", { timeout: 90_000 }, () => {
  it("prints what the file changes, sends nothing with --dry-run, then sends the next version", async () => {
    const planId = await submitted(PLAN_FILE, ["--no-auto-execute"]);
    const revised = await writePlan("revised.json", {
      description: "Greet twice and count",
      options: { stopOnError: false, allowParallel: true, maxParallelSteps: 2, stepTimeoutMs: 10000 },
      approval: { quorum: 1 },
      steps: [
        { id: "greet", tool: "echo", description: "Say hello", params: { message: "hello from planroom" } },
        { id: "count", tool: "word_count", description: "Count the words of a sentence", params: { text: "a shorter sentence" }, dependsOn: ["greet"] },
        { id: "again", tool: "echo", params: { message: "hello again" }, dependsOn: ["greet"] },
      ],
    });
    const expectedLines = [
      `revising plan ${planId}, version 1:`,
      '  description: "Greet, count the words of a sentence, and pause between the two" → "Greet twice and count"',
      "  option stopOnError: true → false",
      "  + step again (echo)",
      "  - step pause",
      "  ~ step count: params",
      '  (the file\'s "approval" is not sent: a revision keeps the plan\'s policy)',
    ].join("\n");

    const dry = await runCli(["revise", planId, revised, "--dry-run"], as(TOKENS.agent));
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toBe(`${expectedLines}\ndry run: nothing sent\n`);
    expect((await status(planId)).version).toBe(1);

    const sent = await runCli(["revise", planId, revised], as(TOKENS.agent));
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toBe(`${expectedLines}\nplan ${planId} is now version 2; earlier votes were dismissed and it awaits approval again\n`);
    const after = await status(planId);
    expect(after.version).toBe(2);
    expect(after.steps.map((s) => s.id)).toEqual(["greet", "count", "again"]);

    const again = await runCli(["revise", planId, revised, "--json"], as(TOKENS.agent));
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ planId, version: 2, sent: false, changes: { stepsAdded: [], stepsRemoved: [], stepsChanged: [] } });

    const notTheSubmitter = await runCli(["revise", planId, PLAN_FILE, "--json"], as(TOKENS.reviewer1));
    expect(notTheSubmitter.code).toBe(2);
    expect(JSON.parse(notTheSubmitter.stderr)).toMatchObject({ error: { code: "FORBIDDEN" } });
  });
});

describe("planroom revise with a plan file that names no options", { timeout: 60_000 }, () => {
  it("keeps the plan's options: the preview shows none changed and the server keeps them", async () => {
    const planId = await submitted(await writePlan("tuned.json", { description: "Tuned", options: { maxParallelSteps: 7 }, steps: [{ id: "a", tool: "echo", params: { message: "1" } }] }), ["--no-auto-execute"]);
    const file = await writePlan("untuned.json", { description: "Tuned, reworded", steps: [{ id: "a", tool: "echo", params: { message: "1" } }] });
    const sent = await runCli(["revise", planId, file], as(TOKENS.agent));
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).not.toContain("option ");
    const shown = await runCli(["show", planId, "--json"], as(TOKENS.observer));
    expect((JSON.parse(shown.stdout) as { plan: { version: number; options: { maxParallelSteps: number } } }).plan).toMatchObject({ version: 2, options: { maxParallelSteps: 7 } });
  });
});

describe("planroom watch ID", { timeout: 90_000 }, () => {
  it("shows the votes already cast on its first line", async () => {
    const planId = await submitted(PLAN_FILE, ["--quorum", "2", "--no-auto-execute"]);
    expect((await runCli(["approve", planId, "-m", "fine"], as(TOKENS.reviewer1))).code).toBe(0);
    const { child, output } = await startCli(["watch", planId], as(TOKENS.observer), /\n/);
    try {
      expect(output().split("\n")[0]).toBe(`${planId} Greet, count the words of a sentence, and pause between the two · 1/2 approvals (Reviewer 1 approves)`);
    } finally {
      child.kill("SIGTERM");
    }
  });
});

describe("planroom submit of a plan whose tools the server does not have", { timeout: 30_000 }, () => {
  it("exits 2 naming each unknown tool, with a hint to start the server with its tool modules", async () => {
    const file = await writePlan("unknown-tool.json", { description: "Uses a tool nobody serves", steps: [{ id: "a", tool: "no_such_tool" }] });
    const run = await runCli(["submit", file], as(TOKENS.agent));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown tool "no_such_tool"');
    expect(run.stderr).toContain("hint: a plan file's tools must be server tools");
  });
});
