import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "../../client/index.js";
import { startRealServer } from "../support/real-server.js";
import { TOKENS } from "../support/test-principals.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
let stop: () => Promise<void>;
let url: string;
beforeAll(async () => {
  const started = await startRealServer();
  url = started.server.url;
  stop = started.cleanup;
});
afterAll(() => stop());

describe("the README's minimal agent", () => {
  it("submits a plan, serves its tools once approved, and exits when the plan ends", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "examples/minimal-agent.ts"], { cwd: root, env: { ...process.env, PLANROOM_URL: url, PLANROOM_TOKEN: TOKENS.agent }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const planId = await new Promise<string>((resolve) =>
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
        const match = /#\/plans\/(\S+)/.exec(stdout);
        if (match) resolve(match[1]!);
      }),
    );
    const reviewer = connect(url, { token: TOKENS.reviewer1 });
    try {
      await (await reviewer.join(planId)).approve();
    } finally {
      reviewer.close();
    }
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code, stderr).toBe(0);
    expect(stdout).toContain("completed HELLO, WORLD");
  }, 60_000);
});
