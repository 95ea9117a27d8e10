import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type PlanroomClient } from "../../client/index.js";
import { PLANROOM_ARGS } from "../support/cli-process.js";
import { startRealServer, type RealServer } from "../support/real-server.js";
import { TOKENS } from "../support/test-principals.js";

let real: RealServer;
let agent: PlanroomClient;
let planId: string;

beforeAll(async () => {
  real = await startRealServer();
  agent = connect(real.server.url, { token: TOKENS.agent });
  // A plan whose `show` is far larger than a pipe's buffer, so the CLI is still writing when the reader leaves.
  const steps = Array.from({ length: 120 }, (_, i) => ({ id: `s${i}`, tool: "echo", description: `${"a long step description ".repeat(60)}${i}` }));
  planId = (await agent.submit({ description: "A plan with a long listing", steps }, { autoExecute: false })).planId;
}, 30_000);
afterAll(async () => {
  agent?.close();
  await real?.cleanup();
});

describe("planroom writing into a pipe its reader closed", { timeout: 60_000 }, () => {
  it("show ID | head -1 ends quietly: exit 0, no stack trace", async () => {
    // `head -1` takes the first line and exits while the CLI is still writing; the subshell then
    // reports the CLI's own exit status on stderr, after whatever the CLI wrote there.
    // The CLI runs from its sources, like every other CLI test (see cli-process.ts).
    const script = '( "$0" "$1" "$2" "$3" show "$4"; echo "exit status $?" >&2 ) | head -1';
    const child = spawn("sh", ["-c", script, process.execPath, ...PLANROOM_ARGS, planId], { env: { ...process.env, PLANROOM_URL: real.server.url, PLANROOM_TOKEN: TOKENS.reviewer1 }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    await new Promise((resolve) => child.on("close", resolve));
    expect(stdout).toMatch(/^.*A plan with a long listing.*\n$/);
    expect(stderr).toBe("exit status 0\n");
  });
});
