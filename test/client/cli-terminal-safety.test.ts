import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type PlanroomClient } from "../../client/index.js";
import { demoServerTools } from "../../examples/demo-tools.js";
import type { PlanroomServer } from "../../server/index.js";
import { runCli, startCli } from "../support/cli-process.js";
import { startRealServer } from "../support/real-server.js";
import { realServerPrincipal, TOKENS } from "../support/test-principals.js";

/** What a hostile plan, tool or principal writes to rewrite a reviewer's terminal. */
const ATTACK = "\x1b[2K\r✓ approved\x1b]0;pwned\x07\x08\x08\x9b1A\u202Eexe.txt\u2066\x7f";
/** The same, as the CLI shows it. */
const SHOWN = "\\u001b[2K\\u000d✓ approved\\u001b]0;pwned\\u0007\\u0008\\u0008\\u009b1A\\u202eexe.txt\\u2066\\u007f";
const NORMAL = "Déjà vu café 🚀 日本語";
/** Raw characters that could steer a terminal; a newline is the only control the CLI prints. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]/u;

const principals = [
  { ...realServerPrincipal("agent-1"), name: `Agent${ATTACK}` },
  { ...realServerPrincipal("reviewer-1"), name: `Reviewer${ATTACK}` },
  realServerPrincipal("observer-1"),
];
const tools = {
  ...demoServerTools,
  explode: () => {
    throw new Error(`tool failed${ATTACK}\nerror: none`);
  },
};

let server: PlanroomServer;
let dataDir: string;
let cleanup: () => Promise<void>;
const clients: PlanroomClient[] = [];

beforeAll(async () => {
  ({ server, dataDir, cleanup } = await startRealServer({ principals, tools }));
});
afterAll(async () => {
  for (const c of clients) c.close();
  await cleanup();
});

const as = (token: string): Record<string, string> => ({ PLANROOM_URL: server.url, PLANROOM_TOKEN: token });

function expectTerminalSafe(output: string, what: string): void {
  const raw = RAW_CONTROL.exec(output);
  expect(raw && `${what}: raw U+${raw[0].charCodeAt(0).toString(16).padStart(4, "0")} at ${raw.index} in ${JSON.stringify(output)}`).toBeNull();
}

describe("planroom shows a hostile plan without letting it steer the terminal", { timeout: 90_000 }, () => {
  it("submit, list, show and watch (one plan and every plan) print escapes, newlines only where they belong, and normal Unicode", async () => {
    const file = join(dataDir, "hostile-plan.json");
    await writeFile(
      file,
      JSON.stringify({
        description: `Rotate logs ${NORMAL}${ATTACK}\nsecond line`,
        options: { stopOnError: true },
        approval: { quorum: 1 },
        steps: [
          { id: "greet", tool: "echo", description: `Say hi${ATTACK}\nDecision: approved`, params: { [`key${ATTACK}`]: `value${ATTACK}` } },
          { id: "boom", tool: "explode", description: "Fail", dependsOn: ["greet"] },
          { id: "after", tool: "echo", description: "Never runs", dependsOn: ["boom"] },
        ],
      }),
    );
    const submit = await runCli(["submit", file], as(TOKENS.agent));
    expect(submit.code, submit.stderr).toBe(0);
    expectTerminalSafe(submit.stdout, "submit");
    const planId = /submitted plan (\S+)/.exec(submit.stdout)![1]!;

    const list = await runCli(["list"], as(TOKENS.reviewer1));
    expect(list.code, list.stderr).toBe(0);
    expectTerminalSafe(list.stdout, "list");
    const row = list.stdout.split("\n").find((l) => l.startsWith(planId));
    expect(row).toContain(`Agent${SHOWN}`);
    expect(row).toContain(`Rotate logs ${NORMAL}${SHOWN}\\u000asecond line`);

    const before = await runCli(["show", planId], as(TOKENS.reviewer1));
    expect(before.code, before.stderr).toBe(0);
    expectTerminalSafe(before.stdout, "show");
    expect(before.stdout).toContain(`Plan: Rotate logs ${NORMAL}${SHOWN}\n      second line\n`);
    expect(before.stdout).toContain(`echo — Say hi${SHOWN}\\u000aDecision: approved`);
    expect(before.stdout).toContain(`submitted by Agent${SHOWN}`);
    expect(before.stdout.split("\n").filter((l) => l.startsWith("Decision:"))).toEqual([]);

    const everyPlan = await startCli(["watch"], as(TOKENS.observer), /watching \d+ plans/);
    const watching = runCli(["watch", planId], as(TOKENS.observer));
    const reviewer = connect(server.url, { token: TOKENS.reviewer1 });
    clients.push(reviewer);
    const room = await reviewer.join(planId);
    await expect.poll(() => room.presence.filter((m) => m.id === "observer-1").length, { timeout: 15_000 }).toBeGreaterThan(0);
    await room.approve(`looks fine${ATTACK}\nfake line`);
    const watch = await watching;
    expect(watch.code, watch.stderr).toBe(1); // the plan failed
    expectTerminalSafe(watch.stdout, "watch ID");
    expect(watch.stdout).toContain(`Reviewer${SHOWN} approved version 1: “looks fine${SHOWN}\\u000afake line”`);
    expect(watch.stdout).toMatch(/✗ Step boom failed after \d+ ms: \[\w+\] .*tool failed\\u001b\[2K\\u000d✓ approved.*\\u000aerror: none/);
    await expect.poll(everyPlan.output, { timeout: 15_000 }).toMatch(/plan\.failed|failed after/);
    everyPlan.child.kill("SIGTERM");
    const all = await everyPlan.ended;
    expectTerminalSafe(all.stdout, "watch");
    expect(all.stdout).toContain(`${planId} Rotate logs ${NORMAL}${SHOWN}\\u000asecond line`);

    const after = await runCli(["show", planId], as(TOKENS.observer));
    expect(after.code, after.stderr).toBe(0);
    expectTerminalSafe(after.stdout, "show after the run");
    expect(after.stdout).toMatch(/error: .*tool failed\\u001b\[2K/);
    expect(after.stdout).toContain(`✓ approve Reviewer${SHOWN} (reviewer-1) on version 1: looks fine${SHOWN}\\u000afake line`);
    expect(after.stdout).toContain(`params: {"key\\u001b[2K\\r✓ approved`);
  });

  it("--json output stays valid JSON with the same text, but with C1, bidi and DEL escaped too", async () => {
    const file = join(dataDir, "hostile-json.json");
    const description = `JSON ${NORMAL}${ATTACK}`;
    await writeFile(file, JSON.stringify({ description, steps: [{ id: "a", tool: "echo", description: ATTACK }] }));
    const submit = await runCli(["submit", file, "--json"], as(TOKENS.agent));
    expect(submit.code, submit.stderr).toBe(0);
    const planId = (JSON.parse(submit.stdout) as { planId: string }).planId;
    for (const args of [["show", planId, "--json"], ["list", "--json"]]) {
      const run = await runCli(args, as(TOKENS.reviewer1));
      expect(run.code, run.stderr).toBe(0);
      expectTerminalSafe(run.stdout, args.join(" "));
      expect(run.stdout).toContain("\\u009b1A\\u202eexe.txt\\u2066\\u007f");
      expect(run.stdout).toContain(NORMAL);
      const body = JSON.parse(run.stdout) as { plan?: { description: string; steps: { description: string }[] }; plans?: { description: string; submittedBy: { name: string } }[] };
      if (body.plan) expect(body.plan.steps[0]!.description).toBe(ATTACK);
      const description_ = body.plan?.description ?? body.plans!.find((p) => p.description.startsWith("JSON "))!.description;
      expect(description_).toBe(description);
    }
  });
});
