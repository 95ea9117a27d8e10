/**
 * The package as its users get it: `npm run build`, `npm pack`, the tarball installed into a
 * temporary project and used with plain node (no tsx); and `npm start` in the checkout as one
 * server process. One file, in order, since every part builds into or runs the checkout's `dist/`.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");
const PLAIN_ENV = { ...process.env, NODE_OPTIONS: "", PLANROOM_URL: "", PLANROOM_TOKEN: "", PLANROOM_PORT: "", PLANROOM_HOST: "", PLANROOM_DATA: "", PLANROOM_TOOLS: "", PLANROOM_CONFIG: "" };

let work: string;
let project: string;
let packedFiles: string[];

/** Starts a command and resolves with its listening URL once it printed that and its server tools. */
function startListening(command: string, args: string[], cwd: string, timeoutMs = 30_000): Promise<{ child: ChildProcess; url: string; output: () => string; ended: Promise<number | null> }> {
  const child = spawn(command, args, { cwd, env: PLAIN_ENV, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const ended = new Promise<number | null>((done) => child.once("close", done));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${command} ${args.join(" ")} did not listen within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const url = /planroom listening on (\S+)\n[\s\S]*server tools: [^\n]*\n/.exec(output)?.[1];
      if (url === undefined) return;
      clearTimeout(timer);
      resolve({ child, url, output: () => output, ended });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    void ended.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${command} ${args.join(" ")} exited with ${code}:\n${output}`));
    });
  });
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "planroom-pack-"));
  project = join(work, "project");
  await mkdir(project);
  await run("npm", ["run", "build", "--silent"], { cwd: ROOT, env: PLAIN_ENV });
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", work], { cwd: ROOT, env: PLAIN_ENV });
  const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  packedFiles = packed!.files.map((f) => f.path);
  await writeFile(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  // The tarball's dependencies come from npm's cache when it has them (`npm ci` filled it).
  await run("npm", ["install", join(work, packed!.filename), "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"], { cwd: project, env: PLAIN_ENV });
}, 150_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("the packed package", () => {
  it("holds the build, the bin, README, LICENSE and package.json, and nothing else", () => {
    expect(packedFiles).toEqual(expect.arrayContaining(["package.json", "README.md", "LICENSE", "client/cli/planroom.js", "dist/server/index.js", "dist/server/index.d.ts", "dist/client/index.js", "dist/shared/index.d.ts", "dist/web/index.html", "dist/web/app.js"]));
    const outside = packedFiles.filter((p) => !p.startsWith("dist/") && !["package.json", "README.md", "LICENSE", "client/cli/planroom.js"].includes(p));
    expect(outside).toEqual([]);
    expect(packedFiles.filter((p) => /^(test|bench|\.ci|examples|scripts)\//.test(p) || /^dist\/.*\.ts$/.test(p.replace(/\.d\.ts$/, ".js")))).toEqual([]);
  });

  it("is imported from plain node: planroom/client, planroom/shared and planroom", async () => {
    await writeFile(
      join(project, "use.mjs"),
      `import { connect } from "planroom/client";
import { ExecutionPlan, formatPlan } from "planroom/shared";
import { createMemoryStore } from "planroom";
import { ExecutionPlan as FromClient } from "planroom/client";
const plan = new ExecutionPlan("packed");
plan.addStep("echo", "say it", { text: "hi" });
console.log(JSON.stringify({ connect: typeof connect, steps: plan.steps.length, formatted: formatPlan(plan).includes("echo"), store: typeof createMemoryStore, sameModel: FromClient === ExecutionPlan }));
`,
    );
    const { stdout } = await run(process.execPath, ["use.mjs"], { cwd: project, env: PLAIN_ENV });
    expect(JSON.parse(stdout)).toEqual({ connect: "function", steps: 1, formatted: true, store: "function", sameModel: true });
  });

  it("type-checks a TypeScript file against the shipped declarations", async () => {
    await writeFile(
      join(project, "check.ts"),
      `import { connect, type ConnectOptions } from "planroom/client";
import { ExecutionPlan } from "planroom/shared";
import { createPlanroomServer, type ToolModule } from "planroom";
const options: ConnectOptions = { token: "a-token-of-sixteen-chars" };
const plan = new ExecutionPlan("typed");
plan.addStep("echo", "say it", { text: "hi" });
const tools: ToolModule = { echo: (params) => params };
export const uses = [connect, options, createPlanroomServer, tools, plan] as const;
// @ts-expect-error a token is a string: this line fails the check if the types were missing (any)
export const wrong: ConnectOptions = { token: 5 };
`,
    );
    await writeFile(join(project, "tsconfig.json"), JSON.stringify({ compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: true, types: ["node"] }, files: ["check.ts"] }));
    await expect(run(process.execPath, [TSC, "-p", "."], { cwd: project, env: PLAIN_ENV })).resolves.toBeDefined();
  });

  it("runs `planroom --help` with plain node", async () => {
    const { stdout } = await run(join(project, "node_modules/.bin/planroom"), ["--help"], { cwd: project, env: PLAIN_ENV });
    expect(stdout).toMatch(/Usage: planroom/);
    expect(stdout).toMatch(/serve/);
  });

  it("serves its dashboard from `planroom serve --port 0`, wherever it is started", async () => {
    const server = await startListening(join(project, "node_modules/.bin/planroom"), ["serve", "--port", "0", "--data", join(work, "data")], work);
    try {
      const page = await fetch(`${server.url}/`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toMatch(/<script[^>]+app\.js/);
      const app = await fetch(`${server.url}/app.js`);
      expect(app.status).toBe(200);
      expect(app.headers.get("content-type")).toMatch(/javascript/);
      expect(server.output()).not.toMatch(/dashboard not built/);
    } finally {
      server.child.kill("SIGTERM");
      expect(await server.ended).toBe(0);
    }
  });

  it("refuses a TypeScript tool module when tsx is not installed, saying what to do", async () => {
    const tools = join(work, "tools.ts");
    await writeFile(tools, "export default { echo: (params: unknown) => params };\n");
    const result = await run(join(project, "node_modules/.bin/planroom"), ["serve", "--port", "0", "--data", join(work, "data-ts"), "--tools", tools], { cwd: project, env: PLAIN_ENV }).then(
      () => ({ code: 0, stderr: "" }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`tool module ${tools} is TypeScript`);
    expect(result.stderr).toMatch(/install tsx .* or compile it to \.js/);
  });
});

describe("the bin in a checkout", () => {
  it("says to run `npm run build` when dist/ is missing", async () => {
    const bare = join(work, "bare/client/cli");
    await mkdir(bare, { recursive: true });
    await copyFile(join(ROOT, "client/cli/planroom.js"), join(bare, "planroom.js"));
    const result = await run(process.execPath, [join(bare, "planroom.js"), "--help"], { env: PLAIN_ENV }).then(
      () => ({ code: 0, stderr: "" }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not built .* run `npm run build`/);
  });
});

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((ok) => probe.listen(0, "127.0.0.1", ok));
  const { port } = probe.address() as { port: number };
  await new Promise((ok) => probe.close(ok));
  return port;
}

/** The processes whose parent is `pid`: `[pid, command line]`. */
async function childrenOf(pid: number): Promise<Array<[number, string]>> {
  const { stdout } = await run("ps", ["-o", "pid=,args=", "--ppid", String(pid)]).catch(() => ({ stdout: "" }));
  return stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => {
      const [, id, args] = /^\s*(\d+)\s+(.*)$/.exec(l)!;
      return [Number(id), args!] as [number, string];
    });
}

describe("npm start", () => {
  it("runs the server as one node process (TypeScript tools included): SIGKILL frees the port and the lock for the next start", async () => {
    const port = String(await freePort());
    const data = join(work, "start-data");
    const args = ["start", "--", "--port", port, "--data", data, "--tools", "examples/demo-tools.ts"];
    const first = await startListening("npm", args, ROOT);
    expect(first.output()).toContain("server tools: echo, sleep, word_count");
    const children = await childrenOf(first.child.pid!);
    expect(children).toHaveLength(1);
    const [[serverPid, command]] = children as [[number, string]];
    expect(command).toMatch(/^node dist\/server\/app\/serve\.js /);
    // tsx compiles the TypeScript tool module through esbuild's service, a helper of that process
    // that ends with it; nothing else runs under the server
    expect((await childrenOf(serverPid)).filter(([, cmd]) => !/esbuild --service/.test(cmd))).toEqual([]);
    expect((await readFile(join(data, "LOCK"), "utf8")).trim()).toBe(String(serverPid));

    process.kill(serverPid, "SIGKILL");
    await first.ended;
    const startedAt = Date.now();
    const second = await startListening("npm", args, ROOT, 15_000);
    try {
      expect(second.url).toBe(`http://127.0.0.1:${port}`);
      expect(Date.now() - startedAt).toBeLessThan(15_000);
      expect((await fetch(`${second.url}/healthz`)).status).toBe(200);
    } finally {
      const [[secondPid]] = (await childrenOf(second.child.pid!)) as [[number, string]];
      process.kill(secondPid, "SIGTERM");
      expect(await second.ended).toBe(0);
    }
  });
}, 60_000);
