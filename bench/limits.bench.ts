/**
 * `npm run bench:limits`: what one agent's plan makes the server hold and how long everyone else
 * waits meanwhile. A server runs as a child process (embedded file store); for each scenario a
 * bystander pings `session:whoami` every 10 ms, idle first (this run's baseline), then while the
 * scenario runs; the server's peak RSS (VmHWM) is read from /proc. Scenarios: `$ref` fan-in (a 1 KB
 * result taken in 300 × 300 times through two levels of references: about 90 MB once resolved),
 * the same under the expansion bound (90 × 90, about 8 MB), and a tool returning 50 MB. `PLANROOM_ROOT` runs another checkout's server (e.g. the
 * previous release) with the same clients, for before/after figures.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { io, type Socket } from "socket.io-client";

const ROOT = resolve(process.env.PLANROOM_ROOT ?? fileURLToPath(new URL("../", import.meta.url)));
const TOOLS = fileURLToPath(new URL("./limits-tools.ts", import.meta.url));
const principals = [
  { id: "agent", name: "Agent", roles: ["agent"], token: "bench-agent-token-0001" },
  { id: "reviewer", name: "Reviewer", roles: ["reviewer"], token: "bench-reviewer-token-01" },
  { id: "bystander", name: "Bystander", roles: ["reviewer"], token: "bench-bystander-token-1" },
];
const tokenOf = (id: string): string => principals.find((p) => p.id === id)!.token;

async function startServer(dir: string): Promise<{ url: string; pid: number; stop(): void }> {
  const config = join(dir, "config.json");
  await writeFile(config, JSON.stringify({ principals, maxHttpBufferSize: 1_000_000 }));
  const child = spawn(process.execPath, ["--import", "tsx", "server/app/serve.ts", "--port", "0", "--data", join(dir, "data"), "--config", config, "--tools", TOOLS], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  return new Promise((ok, fail) => {
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) ok({ url: m[1]!, pid: child.pid!, stop: () => child.kill("SIGKILL") });
    });
    child.stderr.on("data", () => {});
    child.once("exit", (code) => fail(new Error(`server exited ${code}: ${out}`)));
  });
}

function open(url: string, id: string): Promise<Socket> {
  const s = io(url, { auth: { token: tokenOf(id) }, transports: ["websocket"], reconnection: false, forceNew: true });
  return new Promise((ok, fail) => {
    s.once("connect", () => ok(s));
    s.once("connect_error", fail);
  });
}

async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

function p99(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(0.99 * s.length))] ?? 0;
}

/** Pings until `done` or `ms` passed; a ping unanswered for 5 s counts as 5 s and ends it. */
async function pings(s: Socket, until: () => boolean, ms: number): Promise<number[]> {
  const times: number[] = [];
  const end = performance.now() + ms;
  while (!until() && performance.now() < end) {
    const t = performance.now();
    try {
      await s.timeout(5_000).emitWithAck("session:whoami", {});
    } catch {
      times.push(5_000);
      break;
    }
    times.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 10));
  }
  return times;
}

const ref = (id: string) => ({ $ref: `steps.${id}.result` });
const scenarios = {
  "ref fan-in (1 KB × 300 × 300)": {
    description: "fan-in",
    steps: [
      { id: "a", tool: "echo", params: { text: "k".repeat(1_000) } },
      { id: "b", tool: "echo", dependsOn: ["a"], params: { all: Array.from({ length: 300 }, () => ref("a")) } },
      { id: "c", tool: "echo", dependsOn: ["b"], params: { all: Array.from({ length: 300 }, () => ref("b")) } },
    ],
  },
  "ref fan-in under the expansion bound (1 KB × 90 × 90)": {
    description: "fan-in, smaller",
    steps: [
      { id: "a", tool: "echo", params: { text: "k".repeat(1_000) } },
      { id: "b", tool: "echo", dependsOn: ["a"], params: { all: Array.from({ length: 90 }, () => ref("a")) } },
      { id: "c", tool: "echo", dependsOn: ["b"], params: { all: Array.from({ length: 90 }, () => ref("b")) } },
    ],
  },
  "a 50 MB tool result": { description: "big result", steps: [{ id: "big", tool: "blob", params: { size: 50_000_000 } }] },
};

console.log(`server: ${ROOT}`);
for (const [name, plan] of Object.entries(scenarios)) {
  const dir = await mkdtemp(join(tmpdir(), "planroom-limits-"));
  const server = await startServer(dir);
  try {
    const [agent, reviewer, bystander] = await Promise.all([open(server.url, "agent"), open(server.url, "reviewer"), open(server.url, "bystander")]);
    const idle = await pings(bystander, () => false, 2_000);
    const rssIdle = await peakRss(server.pid);
    const submitted = (await agent.timeout(10_000).emitWithAck("plan:submit", { plan, autoExecute: true })) as { ok: boolean; planId?: string; error?: { code: string; message: string } };
    let outcome = submitted.ok ? "running" : `refused at submit: ${submitted.error?.code}`;
    let finished = !submitted.ok;
    if (submitted.ok) {
      reviewer.on("plan:event", (e: { type: string; data: { error?: { code: string } } }) => {
        if (e.type === "step.failed") outcome = `step failed: ${e.data.error?.code}`;
        if (e.type === "plan.completed") outcome = "plan completed";
        if (e.type === "plan.completed" || e.type === "plan.failed") finished = true;
      });
      await reviewer.timeout(10_000).emitWithAck("plan:join", { planId: submitted.planId });
      void reviewer.timeout(60_000).emitWithAck("plan:vote", { planId: submitted.planId, version: 1, decision: "approve" }).catch(() => {});
    }
    const busy = await pings(bystander, () => finished, 30_000);
    await new Promise((r) => setTimeout(r, 200));
    const rssPeak = await peakRss(server.pid);
    console.log(`${name}: ${finished ? outcome : `${outcome}, not finished after 30 s`}`);
    if (busy.length > 0) console.log(`  bystander whoami p99: idle ${p99(idle).toFixed(1)} ms, during ${p99(busy).toFixed(1)} ms (max ${Math.max(...busy).toFixed(0)} ms); ratio ${(p99(busy) / Math.max(0.1, p99(idle))).toFixed(1)}×`);
    console.log(`  server peak RSS: ${rssIdle.toFixed(0)} MB idle, ${rssPeak.toFixed(0)} MB after`);
    for (const s of [agent, reviewer, bystander]) s.close();
  } finally {
    server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
