/**
 * `npm run bench:loop`: does one large plan stall everyone else? A server on the embedded file
 * store (persistence on) runs a 10,000-step plan of no-op tools while 20 clients join it; a
 * bystander (in a process of its own; the agent and the joiners in another) pings
 * `session:whoami` every 10 ms, first idle (the baseline of this run), then from the plan's
 * approval to its end. Prints p50/p99/max of both, their ratio, and the
 * server's RSS. Target: busy p99 ≤ 50 ms.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { PrincipalConfig } from "../server/app/config.js";
import { createPlanroomServer } from "../server/app/create-server.js";
import { silentLogger } from "../server/runtime/logger.js";

const STEPS = Number(process.env.LOOP_STEPS ?? 10_000);
const JOINERS = Number(process.env.LOOP_JOINERS ?? 20);
const ROOT = fileURLToPath(new URL("../", import.meta.url));

const principals: PrincipalConfig[] = [
  { id: "agent", name: "Agent", roles: ["agent"], token: "bench-agent-token-0001" },
  { id: "reviewer", name: "Reviewer", roles: ["reviewer"], token: "bench-reviewer-token-01" },
  { id: "bystander", name: "Bystander", roles: ["reviewer"], token: "bench-bystander-token-1" },
  { id: "observer", name: "Observer", roles: ["observer"], token: "bench-observer-token-01" },
];

const dir = await mkdtemp(join(tmpdir(), "planroom-loop-"));
const server = await createPlanroomServer({
  port: 0,
  dataDir: dir,
  principals,
  maxHttpBufferSize: 1_000_000,
  rateLimit: { burst: 10_000, perSecond: 10_000 },
  tools: { noop: () => null },
  log: silentLogger,
  webDir: "/nonexistent",
});
const rssBefore = process.memoryUsage().rss;
let rssPeak = rssBefore;
const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 50);
const job = { url: server.url, tokens: Object.fromEntries(principals.map((p) => [p.id, p.token])), steps: STEPS, joiners: JOINERS, idleMs: 3_000 };
/** Runs one group of clients; calls `onLine` with each JSON line it prints. */
function clients(role: string, onLine: (line: Record<string, unknown>) => void): { child: ReturnType<typeof spawn>; exited: Promise<unknown> } {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/loop-clients.ts", role, JSON.stringify(job)], { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"] });
  createInterface({ input: child.stdout }).on("line", (line) => onLine(JSON.parse(line) as Record<string, unknown>));
  return { child, exited: new Promise((resolve) => child.once("exit", resolve)) };
}
const lines: Record<string, unknown> = {};
let idleDone!: () => void;
const idle = new Promise<void>((resolve) => (idleDone = resolve));
const bystander = clients("bystander", (line) => {
  Object.assign(lines, line);
  if ("idle" in line) idleDone();
});
await idle;
const load = clients("load", (line) => {
  Object.assign(lines, line);
  if ("running" in line) bystander.child.stdin!.write("start\n");
});
await load.exited;
bystander.child.stdin!.write("stop\n");
await bystander.exited;
clearInterval(sampler);
await server.close();
await rm(dir, { recursive: true, force: true });

const figures = lines as {
  idle: { p50: number; p99: number; max: number };
  busy: { p50: number; p99: number; max: number };
  joins: { p50: number; max: number };
  runMs: number;
  completed: number;
};
const ms = (v: number): string => `${v.toFixed(1)} ms`;
console.log(`plan of ${STEPS} no-op steps (${figures.completed} completed in ${ms(figures.runMs)}), ${JOINERS} joins mid-run`);
console.log(`bystander whoami idle:   p50 ${ms(figures.idle.p50)}  p99 ${ms(figures.idle.p99)}  max ${ms(figures.idle.max)}`);
console.log(`bystander whoami busy:   p50 ${ms(figures.busy.p50)}  p99 ${ms(figures.busy.p99)}  max ${ms(figures.busy.max)}`);
console.log(`busy ÷ idle p99: ${(figures.busy.p99 / Math.max(0.001, figures.idle.p99)).toFixed(2)}×   (target: busy p99 ≤ 50 ms: ${figures.busy.p99 <= 50 ? "met" : "missed"})`);
if (JOINERS > 0) console.log(`joins: p50 ${ms(figures.joins.p50)}  max ${ms(figures.joins.max)}`);
console.log(`server RSS: ${(rssBefore / 2 ** 20).toFixed(0)} MB before, ${(rssPeak / 2 ** 20).toFixed(0)} MB peak`);
