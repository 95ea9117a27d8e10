/**
 * The clients of `bench/loop.bench.ts`, each group in its own process so that neither's JSON
 * parsing delays the other's measurements: `bystander` pings `session:whoami` every 10 ms (prints
 * `idle` figures after `idleMs`, then `busy` figures of the pings between the lines `start` and
 * `stop` on stdin); `load` submits
 * a plan of no-op steps, approves it, and joins it from 20 more clients once a quarter of it has
 * started; it prints the run's figures when the plan is over.
 */
import { createInterface } from "node:readline";
import { io, type Socket } from "socket.io-client";

const role = process.argv[2];
const job = JSON.parse(process.argv[3] ?? "{}") as { url: string; tokens: Record<string, string>; steps: number; joiners: number; idleMs: number };

function open(token: string): Promise<Socket> {
  const socket = io(job.url, { auth: { token }, transports: ["websocket"], reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}

async function ok(socket: Socket, name: string, payload: unknown): Promise<Record<string, unknown>> {
  const answer = (await socket.timeout(120_000).emitWithAck(name, payload)) as { ok: boolean; error?: { code: string; message: string } };
  if (!answer.ok) throw new Error(`${name}: ${answer.error?.code}: ${answer.error?.message}`);
  return answer;
}

function figures(values: number[]): { n: number; p50: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
  return { n: sorted.length, p50: at(50), p99: at(99), max: sorted[sorted.length - 1] ?? 0 };
}

async function ping(socket: Socket, until: () => boolean): Promise<number[]> {
  const times: number[] = [];
  while (!until()) {
    const started = performance.now();
    await ok(socket, "session:whoami", {});
    times.push(performance.now() - started);
    await new Promise((r) => setTimeout(r, 10));
  }
  return times;
}

if (role === "bystander") {
  const bystander = await open(job.tokens.bystander!);
  const idleUntil = performance.now() + job.idleMs;
  console.log(JSON.stringify({ idle: figures(await ping(bystander, () => performance.now() > idleUntil)) }));
  // Pings on; the window that counts opens at "start" (the run begins) and closes at "stop".
  let stop = false;
  let from = Number.POSITIVE_INFINITY;
  const times: number[] = [];
  createInterface({ input: process.stdin }).on("line", (line) => {
    if (line === "start") from = times.length;
    else stop = true;
  });
  times.push(...(await ping(bystander, () => stop)));
  console.log(JSON.stringify({ busy: figures(times.slice(Math.min(from, times.length))) }));
  bystander.close();
  process.exit(0);
} else {
  const agent = await open(job.tokens.agent!);
  const reviewer = await open(job.tokens.reviewer!);
  const joiners = await Promise.all(Array.from({ length: job.joiners }, () => open(job.tokens.observer!)));
  const steps = Array.from({ length: job.steps }, (_, i) => ({ id: `s${i}`, tool: "noop", params: { n: i } }));
  const submitted = await ok(agent, "plan:submit", { plan: { description: "a large plan", options: { allowParallel: true, maxParallelSteps: 16 }, steps }, autoExecute: true });
  const planId = submitted.planId as string;
  let finished = false;
  let started = 0;
  let completed = 0;
  const over = new Promise<void>((resolve) =>
    reviewer.on("plan:event", (e: { type: string }) => {
      if (e.type === "step.started") started++;
      if (e.type === "step.completed") completed++;
      if (e.type === "plan.completed" || e.type === "plan.failed") {
        finished = true;
        resolve();
      }
    }),
  );
  await ok(reviewer, "plan:join", { planId });
  console.log(JSON.stringify({ running: true })); // the bystander's busy window starts with the run
  const runStarted = performance.now();
  await ok(reviewer, "plan:vote", { planId, version: 1, decision: "approve" });
  const joinTimes: number[] = [];
  while (started < job.steps / 4 && !finished) await new Promise((r) => setTimeout(r, 5));
  await Promise.all(
    joiners.map(async (s) => {
      const t = performance.now();
      await ok(s, "plan:join", { planId });
      joinTimes.push(performance.now() - t);
    }),
  );
  await over;
  console.log(JSON.stringify({ runMs: performance.now() - runStarted, completed, joins: figures(joinTimes) }));
  for (const s of [agent, reviewer, ...joiners]) s.close();
  process.exit(0);
}
