/**
 * `npm run demo`: starts a Planroom server (temporary data directory), runs the seed-workflow agent
 * against it, and prints the dashboard links and tokens so that a person can approve the plan from
 * the dashboard or with `planroom approve`. With `--auto`, two bot reviewers approve it and the demo
 * exits 0 once the plan completes (1 otherwise).
 *
 *   npm run demo [-- --auto] [-- --port 8080]
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, reviewLink, type PlanHandle } from "../client/index.js";
import { createPlanroomServer, silentLogger } from "../server/index.js";
import { demoServerTools } from "./demo-tools.js";
import { runSeedWorkflow, writeSampleNotes } from "./seed-workflow.js";

const args = process.argv.slice(2);
const auto = args.includes("--auto");
const portArg = args.indexOf("--port");
const port = portArg >= 0 ? Number(args[portArg + 1]) : auto ? 0 : 8080;

/** Two reviewers that read the plan and approve it. */
async function botReviewers(url: string, tokens: string[], handle: PlanHandle): Promise<void> {
  await Promise.all(
    tokens.map(async (token, i) => {
      const bot = connect(url, { token });
      try {
        const room = await bot.join(handle.planId);
        await room.approve(`reviewed ${room.plan.steps.length} steps: fine (bot ${i + 1})`);
      } finally {
        bot.close();
      }
    }),
  );
}

const dataDir = await mkdtemp(join(tmpdir(), "planroom-demo-data-"));
const workDir = await mkdtemp(join(tmpdir(), "planroom-demo-work-"));
await writeSampleNotes(workDir);
const server = await createPlanroomServer({ port, dataDir, tools: demoServerTools, log: silentLogger });
const token = (id: string): string => server.devPrincipals.find((p) => p.id === id)?.token ?? "";

console.log(`Planroom demo server: ${server.url}`);
console.log("Tokens (dashboard links sign in with them):");
for (const p of server.devPrincipals) console.log(`  ${p.id.padEnd(11)} ${p.roles.join(",").padEnd(9)} ${p.token}`);
console.log(`Working directory of the agent: ${workDir}\n`);

let code = 1;
try {
  const final = await runSeedWorkflow({
    url: server.url,
    token: token("agent-1"),
    dir: workDir,
    approval: { quorum: 2 },
    onSubmitted: (handle) => {
      console.log("\nReview it in the dashboard:");
      for (const id of ["reviewer-1", "reviewer-2"]) console.log(`  ${id}: ${reviewLink({ serverUrl: server.url, planId: handle.planId, token: token(id) })}`);
      console.log("or from the command line:");
      console.log(`  PLANROOM_URL=${server.url} PLANROOM_TOKEN=${token("reviewer-1")} npx planroom approve ${handle.planId}`);
      console.log(`  PLANROOM_URL=${server.url} PLANROOM_TOKEN=${token("reviewer-2")} npx planroom approve ${handle.planId}\n`);
      if (auto) void botReviewers(server.url, [token("reviewer-1"), token("reviewer-2")], handle).catch((error: unknown) => console.error(`bot reviewers failed: ${String(error)}`));
    },
  });
  if (final.status === "completed") {
    console.log(`\n${await readFile(join(workDir, "report.md"), "utf8")}`);
    code = 0;
  }
} finally {
  if (auto) {
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(workDir, { recursive: true, force: true });
  } else {
    console.log(`The server keeps running at ${server.url} (try: planroom submit examples/plan.json); Ctrl-C to stop.`);
    const stop = (): void => void server.close().finally(() => process.exit(code));
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  }
}
if (auto) process.exit(code);
