import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli-process.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "planroom-strict-plan-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("planroom submit with a plan file that has misspelled keys", () => {
  it("exits 2 before connecting, naming each key with its path and the key that was meant", async () => {
    const file = join(dir, "plan.json");
    await writeFile(file, JSON.stringify({ description: "Deploy", options: { stopOnEror: false, stepTimout: 5_000 }, steps: [{ id: "a", tool: "build", param: { x: 1 } }, { id: "b", tool: "ship", dependOn: ["a"] }] }));
    // Nothing listens on port 9: the file must be refused before any connection is tried.
    const run = await runCli(["submit", file, "--url", "http://127.0.0.1:9", "--token", "t"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('options.stopOnEror: unknown key "stopOnEror" (did you mean "stopOnError"?)');
    expect(run.stderr).toContain('options.stepTimout: unknown key "stepTimout" (did you mean "stepTimeoutMs"?)');
    expect(run.stderr).toContain('steps[0].param: unknown key "param" (did you mean "params"?)');
    expect(run.stderr).toContain('steps[1].dependOn: unknown key "dependOn" (did you mean "dependsOn"?)');
  });

  it("exits 2 for a plan file without steps", async () => {
    const file = join(dir, "empty.json");
    await writeFile(file, JSON.stringify({ description: "nothing", steps: [] }));
    const run = await runCli(["submit", file, "--url", "http://127.0.0.1:9", "--token", "t"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("steps: a plan needs at least one step");
  });
});
