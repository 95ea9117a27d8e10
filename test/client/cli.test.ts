import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type PlanroomClient } from "../../client/index.js";
import type { PlanroomServer } from "../../server/index.js";
import { runCli, startCli } from "../support/cli-process.js";
import { startRealServer } from "../support/real-server.js";
import { TOKENS } from "../support/test-principals.js";

const PLAN_FILE = new URL("../../examples/plan.json", import.meta.url).pathname;
let server: PlanroomServer;
let dataDir: string;
let cleanup: () => Promise<void>;
const clients: PlanroomClient[] = [];

beforeAll(async () => {
  ({ server, dataDir, cleanup } = await startRealServer());
});
afterAll(async () => {
  for (const c of clients) c.close();
  await cleanup();
});

const as = (token: string): Record<string, string> => ({ PLANROOM_URL: server.url, PLANROOM_TOKEN: token });
const agentEnv = (): Record<string, string> => as(TOKENS.agent);

function sdk(token: string): PlanroomClient {
  const c = connect(server.url, { token });
  clients.push(c);
  return c;
}

async function submitted(args: string[] = []): Promise<string> {
  const run = await runCli(["submit", PLAN_FILE, "--json", ...args], agentEnv());
  expect(run.code, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as { planId: string }).planId;
}

describe("planroom help and usage", { timeout: 90_000 }, () => {
  it("--help documents the commands, the environment and the exit codes; exit 0", async () => {
    const run = await runCli(["--help"]);
    expect(run.code).toBe(0);
    for (const word of ["serve", "submit", "list", "show", "approve", "reject", "revise", "execute", "resume", "cancel", "watch", "PLANROOM_URL", "PLANROOM_TOKEN", "Exit codes:"]) expect(run.stdout).toContain(word);
    const sub = await runCli(["submit", "--help"]);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toMatch(/--quorum <n>[\s\S]*--wait[\s\S]*Exit codes:/);
  });

  it("usage errors exit 2: unknown command, missing required option, missing token", async () => {
    expect((await runCli(["frobnicate"])).code).toBe(2);
    const reject = await runCli(["reject", "some-plan"], agentEnv());
    expect(reject.code).toBe(2);
    expect(reject.stderr).toContain("--message");
    const noToken = await runCli(["list"], { PLANROOM_URL: server.url });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain("no token");
  });
});

describe("planroom --json errors", { timeout: 90_000 }, () => {
  const jsonError = (stderr: string): { error: { code: string; message: string } } => {
    const lines = stderr.trim().split("\n");
    expect(lines, stderr).toHaveLength(1);
    return JSON.parse(lines[0]!) as { error: { code: string; message: string } };
  };

  it("usage errors from the argument parser are one JSON line on stderr, exit 2", async () => {
    const missing = await runCli(["--json", "reject", "abc"], agentEnv());
    expect(missing.code).toBe(2);
    expect(jsonError(missing.stderr)).toEqual({ error: { code: "VALIDATION", message: expect.stringContaining("--message") } });
    const after = await runCli(["reject", "abc", "--json"], agentEnv());
    expect(after.code).toBe(2);
    expect(jsonError(after.stderr).error.code).toBe("VALIDATION");
    const unknown = await runCli(["--json", "bogus"], agentEnv());
    expect(unknown.code).toBe(2);
    expect(jsonError(unknown.stderr)).toEqual({ error: { code: "VALIDATION", message: "unknown command 'bogus'" } });
    const none = await runCli(["--json"], agentEnv());
    expect(none.code).toBe(2);
    expect(jsonError(none.stderr).error.code).toBe("VALIDATION");
    expect(none.stdout).toBe("");
  });

  it("a bad --timeout is a JSON error too; without --json errors stay plain text", async () => {
    const run = await runCli(["--json", "--timeout", "soon", "list"], agentEnv());
    expect(run.code).toBe(2);
    expect(jsonError(run.stderr)).toEqual({ error: { code: "VALIDATION", message: expect.stringContaining("--timeout") } });
    const plain = await runCli(["--timeout", "soon", "list"], agentEnv());
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(/^error VALIDATION: --timeout/);
    const usage = await runCli(["bogus"], agentEnv());
    expect(usage.stderr).toContain("error: unknown command 'bogus'");
  });
});

describe("planroom against a running server", { timeout: 90_000 }, () => {
  it("submit validates the file and prints each problem with its JSON path (exit 2)", async () => {
    const bad = join(dataDir, "bad-plan.json");
    await writeFile(bad, JSON.stringify({ description: "bad", steps: [{ id: "a", tool: "echo" }, { id: "b", tool: "", dependsOn: ["a"] }] }));
    const run = await runCli(["submit", bad], agentEnv());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("steps[1].tool: tool name is empty");
    const notJson = join(dataDir, "not-json.json");
    await writeFile(notJson, "{ nope");
    const run2 = await runCli(["submit", notJson, "--json"], agentEnv());
    expect(run2.code).toBe(2);
    expect(JSON.parse(run2.stderr)).toMatchObject({ error: { code: "VALIDATION" } });
  });

  it("submit reports the plan's problems and the approval policy's together", async () => {
    const bad = join(dataDir, "bad-both.json");
    await writeFile(bad, JSON.stringify({ description: "bad", steps: [{ id: "a", tool: "" }], approval: { quorum: 0 } }));
    const run = await runCli(["submit", bad], agentEnv());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("steps[0].tool: tool name is empty");
    expect(run.stderr).toMatch(/approval\.quorum: /);
    const json = await runCli(["submit", bad, "--json"], agentEnv());
    expect(json.code).toBe(2);
    const paths = (JSON.parse(json.stderr) as { error: { issues: { path: (string | number)[] }[] } }).error.issues.map((i) => i.path.join("."));
    expect(paths).toEqual(["steps.0.tool", "approval.quorum"]);
    expect((await sdk(TOKENS.observer).list()).plans.some((p) => p.description === "bad")).toBe(false);
  });

  it("reject refuses a blank reason (exit 2) and records nothing", async () => {
    const planId = await submitted();
    for (const reason of ["", "   "]) {
      const run = await runCli(["reject", planId, "-m", reason], as(TOKENS.reviewer1));
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("a rejection needs a reason");
    }
    const json = await runCli(["reject", planId, "-m", " ", "--json"], as(TOKENS.reviewer1));
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: "VALIDATION" } });
    const room = await sdk(TOKENS.observer).join(planId);
    expect(room.votes).toEqual([]);
    expect(room.plan.status).toBe("pending_approval");
    const reject = await runCli(["reject", planId, "-m", "  too broad  ", "--json"], as(TOKENS.reviewer1));
    expect(reject.code, reject.stderr).toBe(0);
    await expect.poll(() => room.votes.map((v) => v.comment)).toEqual(["too broad"]);
  });

  it("a refused token exits 3", async () => {
    const run = await runCli(["list"], as("not-a-valid-token-at-all"));
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("UNAUTHENTICATED");
  });

  it("submit prints the id and review link; list, show, approve and watch ID follow it to completion", async () => {
    const submit = await runCli(["submit", PLAN_FILE], agentEnv());
    expect(submit.code, submit.stderr).toBe(0);
    const planId = /submitted plan (\S+)/.exec(submit.stdout)?.[1];
    expect(planId).toBeTruthy();
    expect(submit.stdout).toContain(`review: ${server.url}/#/plans/${planId}`);

    const list = await runCli(["list", "--json"], as(TOKENS.reviewer1));
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as { plans: { id: string; status: string }[] }).plans).toContainEqual(expect.objectContaining({ id: planId, status: "pending_approval" }));
    const table = await runCli(["list", "--status", "pending_approval"], as(TOKENS.reviewer1));
    expect(table.stdout).toMatch(new RegExp(`${planId}\\s+pending approval\\s+0%\\s+0/1`));
    // --may-vote: the reviewer may vote on it, the observer may not
    const ids = (run: { stdout: string }): string[] => (JSON.parse(run.stdout) as { plans: { id: string }[] }).plans.map((p) => p.id);
    expect(ids(await runCli(["list", "--may-vote", "--json"], as(TOKENS.reviewer1)))).toContain(planId);
    expect(ids(await runCli(["list", "--may-vote", "--json"], as(TOKENS.observer)))).not.toContain(planId);

    const show = await runCli(["show", planId!], as(TOKENS.reviewer1));
    expect(show.code).toBe(0);
    expect(show.stdout).toContain("Plan: Greet, count the words of a sentence");
    expect(show.stdout).toContain("Votes (0/1 approvals needed):");

    const approve = await runCli(["approve", planId!, "-m", "fine by me"], as(TOKENS.reviewer1));
    expect(approve.code, approve.stderr).toBe(0);
    expect(approve.stdout).toContain(`approved version 1 of plan ${planId}`);

    const watch = await runCli(["watch", planId!], as(TOKENS.observer));
    expect(watch.code, watch.stderr).toBe(0);
    expect(watch.stdout).toMatch(/\[#{20}\] 100% 3\/3 completed/);

    const shown = await runCli(["show", planId!, "--json"], as(TOKENS.observer));
    const body = JSON.parse(shown.stdout) as { plan: { status: string }; votes: { comment: string }[] };
    expect(body.plan.status).toBe("completed");
    expect(body.votes[0]?.comment).toBe("fine by me");
  });

  it("submit --wait follows the plan: exit 0 when it completes, with a line per step event and durations", async () => {
    const waiting = startCli(["submit", PLAN_FILE, "--wait"], agentEnv(), /review: .*#\/plans\/(\S+)/);
    const { output, ended } = await waiting;
    const planId = /#\/plans\/(\S+)/.exec(output())![1]!;
    const room = await sdk(TOKENS.reviewer2).join(planId);
    await room.approve();
    const run = await ended;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/✓ Step greet completed in \d+ ms/);
    expect(run.stdout).toMatch(/✓ Step pause completed in [\d.]+ m?s/);
    expect(run.stdout).toContain("completed in");
    expect(run.stdout).not.toMatch(/\x1b\[/); // not a TTY: no colours
  });

  it("submit --wait exits 1 when the plan is rejected (reject -m REASON)", async () => {
    const { output, ended } = await startCli(["submit", PLAN_FILE, "--wait", "--quorum", "2"], agentEnv(), /review: .*#\/plans\/(\S+)/);
    const planId = /#\/plans\/(\S+)/.exec(output())![1]!;
    const reject = await runCli(["reject", planId, "-m", "too risky"], as(TOKENS.reviewer1));
    expect(reject.code, reject.stderr).toBe(0);
    const run = await ended;
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("rejected by reviewer-1: too risky");
  });

  it("cancel cancels a pending plan (exit 0); cancelling it again is refused (exit 2); an unknown plan is exit 2", async () => {
    const planId = await submitted();
    const cancel = await runCli(["cancel", planId, "-m", "not needed"], agentEnv());
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stdout).toContain(`cancelled plan ${planId}`);
    const again = await runCli(["cancel", planId, "--json"], agentEnv());
    expect(again.code).toBe(2);
    expect(JSON.parse(again.stderr)).toMatchObject({ error: { code: "INVALID_STATE" } });
    const watch = await runCli(["watch", planId], agentEnv());
    expect(watch.code).toBe(1);
    const missing = await runCli(["show", "no-such-plan"], agentEnv());
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("NOT_FOUND");
  });

  it("watch without an id shows every plan's events with a progress bar until interrupted", async () => {
    const { child, output, ended } = await startCli(["watch"], as(TOKENS.observer), /watching \d+ plans/);
    const planId = await submitted(["--quorum", "1"]);
    await expect.poll(output, { timeout: 15_000 }).toContain(planId);
    expect(output()).toMatch(new RegExp(`\\[-{20}\\]\\s+0% 0/3 pending approval ${planId}`));
    child.kill("SIGTERM");
    await ended;
  });

  it("watch ID --json prints one event per line", async () => {
    const planId = await submitted();
    const room = await sdk(TOKENS.reviewer1).join(planId);
    const watching = runCli(["watch", planId, "--json"], as(TOKENS.observer));
    await expect.poll(() => room.presence.map((m) => m.id), { timeout: 15_000 }).toContain("observer-1");
    await room.approve();
    const run = await watching;
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; seq: number });
    expect(lines.at(-1)?.type).toBe("plan.completed");
    expect(lines.every((e, i) => i === 0 || e.seq === lines[i - 1]!.seq + 1)).toBe(true);
  });
});

describe("planroom serve", { timeout: 90_000 }, () => {
  it("runs a server from flags and a config file, answers commands, and stops on SIGTERM", async () => {
    const config = join(dataDir, "serve-config.json");
    await writeFile(config, JSON.stringify({ principals: [{ id: "ops", name: "Ops", roles: ["admin"], token: "ops-token-0123456789" }] }));
    const { child, output, ended } = await startCli(["serve", "--port", "0", "--host", "127.0.0.1", "--data", join(dataDir, "serve-data"), "--config", config], {}, /planroom listening on (http:\/\/\S+)/);
    const url = /planroom listening on (http:\/\/\S+)/.exec(output())![1]!;
    const list = await runCli(["list", "--json", "--url", url, "--token", "ops-token-0123456789"]);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual({ plans: [] });
    child.kill("SIGTERM");
    expect((await ended).code).toBe(0);
  });
});
