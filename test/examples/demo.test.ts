import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));

describe("npm run demo -- --auto", () => {
  it("starts a server, runs the seed-workflow agent, two bots approve, and it exits 0 with the report", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "examples/demo.ts", "--auto"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/Planroom demo server: http:\/\/127\.0\.0\.1:\d+/);
    expect(stdout).toMatch(/reviewer-1: http:\/\/127\.0\.0\.1:\d+\/#\/plans\/[\w-]+\?token=[\w-]+$/m);
    expect(stdout).toContain("vote: Reviewer 1 approves");
    expect(stdout).toContain("vote: Reviewer 2 approves");
    expect(stdout).toMatch(/Completed: report \(took \d+/);
    expect(stdout).toContain("Plan finished with status: completed");
    expect(stdout).toContain("| notes/roadmap.md | 6 | 14 | 2 |");
  }, 60_000);
});
