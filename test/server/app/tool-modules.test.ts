import { access, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type PlanroomClient } from "../../../client/index.js";
import type { ApprovalPolicyInput } from "../../../shared/index.js";
import { loadConfig } from "../../../server/app/config.js";
import { createPlanroomServer, type PlanroomServer } from "../../../server/app/create-server.js";
import { silentLogger } from "../../../server/runtime/logger.js";
import { loadToolModule, loadToolModules } from "../../../server/app/tool-modules.js";
import { startChildServer } from "../../support/child-server.js";
import { runCli, startCli } from "../../support/cli-process.js";
import { REAL_SERVER_PRINCIPALS, TOKENS } from "../../support/test-principals.js";

let dir: string;
/** Writes a file in the test's temporary folder and returns its absolute path. */
async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "planroom-tool-modules-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("loading tool modules", () => {
  it("loads a default export (.mjs) and a named `tools` export (.ts), with handlers that run", async () => {
    const mjs = await file("math.mjs", "export default { add: (p) => ({ sum: p.a + p.b }), twice: async (p) => p.n * 2 };\n");
    const ts = await file("text.ts", 'import type { ToolHandler } from "planroom";\nexport const tools: Record<string, ToolHandler> = { upper: (p) => String(p.text).toUpperCase() };\n');
    const tools = await loadToolModules([mjs, ts]);
    expect([...tools.keys()]).toEqual(["add", "twice", "upper"]);
    const ctx = {} as never;
    expect(await tools.get("add")!({ a: 2, b: 3 }, ctx)).toEqual({ sum: 5 });
    expect(await tools.get("twice")!({ n: 21 }, ctx)).toBe(42);
    expect(await tools.get("upper")!({ text: "hi" }, ctx)).toBe("HI");
  });

  it("resolves relative paths against the given folder and loads a module listed twice once", async () => {
    const path = await file("once.mjs", "export default { once: () => 1 };\n");
    const tools = await loadToolModules(["once.mjs", path], {}, dir);
    expect([...tools.keys()]).toEqual(["once"]);
  });

  it("loads examples/demo-tools.ts as a module", async () => {
    const tools = await loadToolModule("examples/demo-tools.ts");
    expect(tools.map(([name]) => name)).toEqual(["echo", "sleep", "word_count"]);
  });

  it("refuses a missing file, naming it", async () => {
    const missing = join(dir, "missing.ts");
    await expect(loadToolModules([missing])).rejects.toThrow(`tool module ${missing} does not exist`);
    await expect(loadToolModules([dir])).rejects.toThrow(`tool module ${dir} is not a file`);
  });

  it("refuses a module that fails to import, with the import's error", async () => {
    const throws = await file("throws.mjs", 'throw new Error("no database configured");\n');
    await expect(loadToolModules([throws])).rejects.toThrow(new RegExp(`^cannot import tool module ${throws}: no database configured`));
    const broken = await file("broken.mjs", "export default { oops: ( };\n");
    await expect(loadToolModules([broken])).rejects.toThrow(`cannot import tool module ${broken}:`);
  });

  it("refuses exports that are not an object of functions, naming the module and the tool", async () => {
    const none = await file("none.mjs", "export const other = {};\n");
    await expect(loadToolModules([none])).rejects.toThrow(`tool module ${none} has neither a default export nor an export named "tools"`);
    const text = await file("text.mjs", 'export default "echo";\n');
    await expect(loadToolModules([text])).rejects.toThrow(`tool module ${text}: its export must be an object mapping tool names to functions, got a string`);
    const list = await file("list.mjs", "export default [() => 1];\n");
    await expect(loadToolModules([list])).rejects.toThrow(`tool module ${list}: its export must be an object mapping tool names to functions, got an array`);
    const notFn = await file("not-fn.mjs", 'export default { good: () => 1, bad: "nope" };\n');
    await expect(loadToolModules([notFn])).rejects.toThrow(`tool module ${notFn}: tool "bad" is not a function (got a string)`);
  });

  it("refuses an empty tool name", async () => {
    const empty = await file("empty-name.mjs", 'export default { "": () => 1 };\n');
    await expect(loadToolModules([empty])).rejects.toThrow(`tool module ${empty}: a tool name is empty`);
    const blank = await file("blank-name.mjs", 'export default { "  ": () => 1 };\n');
    await expect(loadToolModules([blank])).rejects.toThrow(`tool module ${blank}: a tool name is empty`);
  });

  it("refuses a tool defined by two modules, or by a module and the tools option, naming both", async () => {
    const a = await file("a.mjs", "export default { echo: (p) => p, only_a: () => 1 };\n");
    const b = await file("b.mjs", "export const tools = { echo: (p) => p };\n");
    await expect(loadToolModules([a, b])).rejects.toThrow(`tool "echo" is defined twice: by tool module ${a} and by tool module ${b}`);
    await expect(loadToolModules([a], { only_a: () => 2 })).rejects.toThrow(`tool "only_a" is defined twice: by the tools option and by tool module ${a}`);
    await expect(loadToolModules([a], new Map([["echo", () => 0]]))).rejects.toThrow(`tool "echo" is defined twice: by the tools option and by tool module ${a}`);
    const merged = await loadToolModules([b], { other: () => 1 });
    expect([...merged.keys()]).toEqual(["other", "echo"]);
  });

  it("stops createPlanroomServer before it opens anything", async () => {
    const a = await file("clash.mjs", "export default { echo: (p) => p };\n");
    const dataDir = join(dir, "never-created");
    await expect(createPlanroomServer({ port: 0, dataDir, toolModules: [a], tools: { echo: (p) => p }, log: silentLogger })).rejects.toThrow(`tool "echo" is defined twice`);
    await expect(access(dataDir)).rejects.toThrow(/ENOENT/);
  });
});

describe("toolModules configuration", () => {
  it("resolves file paths against the file's folder, others against the working directory; flags > environment > file", async () => {
    const confDir = join(dir, "conf");
    await mkdir(confDir, { recursive: true });
    const config = join(confDir, "planroom.json");
    await writeFile(config, JSON.stringify({ toolModules: ["tools/a.ts", "/abs/b.mjs"] }));
    const cwd = join(dir, "cwd");

    expect((await loadConfig({ flags: { config }, cwd })).toolModules).toEqual([join(confDir, "tools/a.ts"), "/abs/b.mjs"]);
    expect((await loadConfig({ flags: { config: "../conf/planroom.json" }, cwd: join(dir, "elsewhere") })).toolModules).toEqual([join(confDir, "tools/a.ts"), "/abs/b.mjs"]);
    const fromEnv = await loadConfig({ flags: { config }, env: { PLANROOM_TOOLS: "env-a.ts, sub/env-b.mjs" }, cwd });
    expect(fromEnv.toolModules).toEqual([join(cwd, "env-a.ts"), join(cwd, "sub/env-b.mjs")]);
    const fromFlags = await loadConfig({ flags: { config, tools: ["flag-a.ts,flag-b.ts", "flag-c.mjs"] }, env: { PLANROOM_TOOLS: "env-a.ts" }, cwd });
    expect(fromFlags.toolModules).toEqual([join(cwd, "flag-a.ts"), join(cwd, "flag-b.ts"), join(cwd, "flag-c.mjs")]);
    expect((await loadConfig({ flags: { tools: "one.ts" }, cwd })).toolModules).toEqual([join(cwd, "one.ts")]);
    // Empty values do not count as set, like the other variables.
    expect((await loadConfig({ flags: { config, tools: [] }, env: { PLANROOM_TOOLS: "" }, cwd })).toolModules).toEqual([join(confDir, "tools/a.ts"), "/abs/b.mjs"]);
    expect((await loadConfig({})).toolModules).toEqual([]);
  });

  it("validates toolModules like every other key", async () => {
    const config = join(dir, "bad-tools.json");
    await writeFile(config, JSON.stringify({ toolModules: ["ok.ts", "", 3] }));
    await expect(loadConfig({ flags: { config } })).rejects.toThrow(/invalid configuration[\s\S]*toolModules\.1: a tool module path is empty[\s\S]*toolModules\.2:/);
    await writeFile(config, JSON.stringify({ toolModules: "a.ts" }));
    await expect(loadConfig({ flags: { config } })).rejects.toThrow(/toolModules: /);
  });
});

describe("a server with tool modules", { timeout: 30_000 }, () => {
  const clients: PlanroomClient[] = [];
  const client = (url: string, token: string): PlanroomClient => {
    const c = connect(url, { token });
    clients.push(c);
    return c;
  };
  afterAll(() => {
    for (const c of clients) c.close();
  });

  it("runs a plan whose tools come only from a module", async () => {
    const module = await file("greet.ts", 'import type { ToolModule } from "planroom";\nexport default { greet: (p, ctx) => ({ greeting: `hello, ${String(p.name)}`, attempt: ctx.attempt }) } satisfies ToolModule;\n');
    const dataDir = await mkdtemp(join(tmpdir(), "planroom-tool-modules-data-"));
    let server: PlanroomServer | undefined;
    try {
      server = await createPlanroomServer({ host: "127.0.0.1", port: 0, dataDir, principals: REAL_SERVER_PRINCIPALS, toolModules: [module], log: silentLogger, shutdownGraceMs: 500 });
      expect(server.toolNames).toEqual(["greet"]);
      const handle = await client(server.url, TOKENS.agent).submit({ description: "greet from a module", steps: [{ id: "hi", tool: "greet", description: "Greet", params: { name: "world" } }] }, { autoExecute: true });
      await (await client(server.url, TOKENS.reviewer1).join(handle.planId)).approve();
      const final = await handle.done();
      expect(final.status).toBe("completed");
      expect(final.steps[0]?.result).toEqual({ greeting: "hello, world", attempt: 1 });
    } finally {
      await server?.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("serve --tools prints the tools and runs examples/plan.json without an agent's tools", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "planroom-tool-modules-serve-"));
    const config = join(dataDir, "config.json");
    await writeFile(config, JSON.stringify({ principals: REAL_SERVER_PRINCIPALS }));
    const child = await startChildServer(["--port", "0", "--host", "127.0.0.1", "--data", join(dataDir, "data"), "--config", config, "--tools", "examples/demo-tools.ts"]);
    try {
      await expect.poll(() => child.output()).toContain("server tools: echo, sleep, word_count\n");
      // A plan file holds the plan and its approval policy side by side (as `planroom submit` reads it).
      const { approval, ...plan } = JSON.parse(await readFile("examples/plan.json", "utf8")) as Parameters<PlanroomClient["submit"]>[0] & { approval: ApprovalPolicyInput };
      const handle = await client(child.url, TOKENS.agent).submit(plan, { approval, autoExecute: true });
      await (await client(child.url, TOKENS.reviewer1).join(handle.planId)).approve();
      const final = await handle.done();
      expect(final.status).toBe("completed");
      expect(final.steps.find((s) => s.id === "count")?.result).toEqual({ words: 9 });
    } finally {
      await child.kill("SIGTERM");
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("planroom serve takes --tools (repeated or comma-separated) and stops on a bad module", async () => {
    const extra = await file("extra.mjs", "export default { shout: (p) => String(p.text).toUpperCase(), whisper: (p) => String(p.text).toLowerCase() };\n");
    const other = await file("other.mjs", "export const tools = { noop: () => null };\n");
    const dataDir = await mkdtemp(join(tmpdir(), "planroom-tool-modules-cli-"));
    try {
      const { child, output, ended } = await startCli(["serve", "--port", "0", "--host", "127.0.0.1", "--data", dataDir, "--tools", `examples/demo-tools.ts,${extra}`, "--tools", other], { PLANROOM_TOOLS: "ignored-when-flags-are-given.ts" }, /server tools: .*\n/);
      expect(/server tools: (.*)\n/.exec(output())?.[1]).toBe("echo, noop, shout, sleep, whisper, word_count");
      child.kill("SIGTERM");
      expect((await ended).code).toBe(0);

      const clash = await file("clash-echo.mjs", "export default { echo: (p) => p };\n");
      const refused = await runCli(["serve", "--port", "0", "--data", dataDir, "--tools", "examples/demo-tools.ts", "--tools", clash]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain(`tool "echo" is defined twice: by tool module ${join(process.cwd(), "examples/demo-tools.ts")} and by tool module ${clash}`);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
