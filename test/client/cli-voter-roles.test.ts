import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type PlanroomClient } from "../../client/index.js";
import type { PlanroomServer } from "../../server/index.js";
import { runCli } from "../support/cli-process.js";
import { startRealServer } from "../support/real-server.js";
import { TOKENS } from "../support/test-principals.js";

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
const RULE = "this server lets only principals with the role reviewer vote";

/** A pending plan submitted through the SDK by the agent, under the default policy. */
async function pendingPlan(): Promise<string> {
  const agent = connect(server.url, { token: TOKENS.agent });
  clients.push(agent);
  const handle = await agent.submit({ description: "voter roles", steps: [{ id: "greet", tool: "echo", params: { message: "hi" } }] });
  return handle.planId;
}

describe("planroom and the server's voter roles", { timeout: 90_000 }, () => {
  it("submit prints the server's refusal of a policy naming agents as voters, with the entry's path (exit 2)", async () => {
    const file = join(dataDir, "agents-approve.json");
    await writeFile(file, JSON.stringify({ description: "agents approve each other", steps: [{ id: "a", tool: "echo" }], approval: { reviewers: ["agent"] } }));
    const run = await runCli(["submit", file], as(TOKENS.agent));
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(`error VALIDATION: approval.reviewers[0] ("agent"): ${RULE}; agent is not one of them`);
    expect(run.stderr).toContain(`  at approval.reviewers[0]: ${RULE}; agent is not one of them`);
    const json = await runCli(["submit", file, "--json"], as(TOKENS.agent));
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stderr)).toEqual({
      error: { code: "VALIDATION", message: `approval.reviewers[0] ("agent"): ${RULE}; agent is not one of them`, issues: [{ path: ["approval", "reviewers", 0], message: `${RULE}; agent is not one of them` }] },
    });
  });

  it("approve and reject print why a principal without a voter role may not vote (exit 2)", async () => {
    const planId = await pendingPlan();
    const observer = await runCli(["approve", planId], as(TOKENS.observer));
    expect(observer.code).toBe(2);
    expect(observer.stderr).toContain(`error FORBIDDEN: ${RULE}, and you have the role observer (plan ${planId})`);
    const submitter = await runCli(["reject", planId, "-m", "mine"], as(TOKENS.agent));
    expect(submitter.code).toBe(2);
    expect(submitter.stderr).toContain(`error FORBIDDEN: ${RULE}, and you have the role agent (plan ${planId})`);
    const json = await runCli(["approve", planId, "--json"], as(TOKENS.observer));
    expect(JSON.parse(json.stderr)).toEqual({ error: { code: "FORBIDDEN", message: `${RULE}, and you have the role observer (plan ${planId})` } });
    // Nothing was recorded: a reviewer's vote still decides.
    const reviewer = await runCli(["approve", planId, "--json"], as(TOKENS.reviewer1));
    expect(reviewer.code, reviewer.stderr).toBe(0);
    expect(JSON.parse(reviewer.stdout)).toMatchObject({ planId, outcome: "approved" });
  });
});
