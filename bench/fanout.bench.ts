/**
 * `npm run bench:fanout`: one plan of 2,000 quick steps watched by 100 reviewers (clients in a
 * separate process), on the embedded file store (persistence on); then, in the same run, a raw
 * Socket.IO server broadcasting the same events (same sizes, same schedule) to 100 clients. Prints
 * deliveries/s and p50/p99 latency of both, and the ratios against the targets.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Server } from "socket.io";
import { io } from "socket.io-client";
import type { PrincipalConfig } from "../server/app/config.js";
import { createPlanroomServer } from "../server/app/create-server.js";
import { silentLogger } from "../server/runtime/logger.js";
import type { PlanEvent } from "../shared/index.js";

const STEPS = Number(process.env.FANOUT_STEPS ?? 2_000);
const CLIENTS = Number(process.env.FANOUT_CLIENTS ?? 100);
/** How long each step's tool takes (0: as fast as the executor goes, which saturates the fan-out). */
const STEP_MS = Number(process.env.FANOUT_STEP_MS ?? 0);
const ROOT = fileURLToPath(new URL("../", import.meta.url));

interface ClientResult {
  deliveries: number;
  firstAt: number;
  lastRecv: number;
  p50: number;
  p99: number;
  max: number;
}

/** Starts the client process; resolves `ready` once all clients are connected (and joined). */
function startClients(job: { url: string; tokens: string[]; planId?: string; expect: number }): { ready: Promise<void>; result: Promise<ClientResult> } {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/fanout-clients.ts", JSON.stringify(job)], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout });
  let onReady!: () => void;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const result = new Promise<ClientResult>((resolve, reject) => {
    lines.on("line", (line) => {
      const msg = JSON.parse(line) as { ready?: boolean } & ClientResult;
      if (msg.ready) onReady();
      else resolve(msg);
    });
    child.once("exit", (code) => code !== 0 && reject(new Error(`client process exited with ${code}`)));
  });
  return { ready, result };
}

async function planroomRun(): Promise<{ result: ClientResult; events: PlanEvent[] }> {
  const dir = await mkdtemp(join(tmpdir(), "planroom-fanout-"));
  const reviewers: PrincipalConfig[] = Array.from({ length: CLIENTS }, (_, i) => ({ id: `reviewer-${i}`, name: `Reviewer ${i}`, roles: ["reviewer"], token: `bench-reviewer-token-${i}` }));
  const agentToken = "bench-agent-token-000";
  const server = await createPlanroomServer({
    host: "127.0.0.1",
    port: 0,
    dataDir: join(dir, "data"),
    principals: [{ id: "agent", name: "Agent", roles: ["agent"], token: agentToken }, ...reviewers],
    tools: { noop: () => (STEP_MS > 0 ? new Promise((resolve) => setTimeout(() => resolve(null), STEP_MS)) : null) },
    rateLimit: { burst: 1_000_000, perSecond: 1_000_000 },
    log: silentLogger,
  });
  try {
    const agent = io(server.url, { auth: { token: agentToken }, transports: ["websocket"], forceNew: true });
    const steps = Array.from({ length: STEPS }, (_, i) => ({ id: `s${i}`, tool: "noop", description: `step ${i}` }));
    const submitted = (await agent.timeout(30_000).emitWithAck("plan:submit", { plan: { description: "fan-out", options: { maxParallelSteps: 16 }, steps }, approval: { quorum: 1 }, autoExecute: true })) as { ok: boolean; error?: unknown; planId?: string };
    if (!submitted.ok) throw new Error(JSON.stringify(submitted.error));
    const planId = submitted.planId as string;
    // After the join: vote.cast, plan.approved, plan.started, 2 per step, plan.completed.
    const expect = 2 + 1 + STEPS * 2 + 1;
    const clients = startClients({ url: server.url, tokens: reviewers.map((r) => r.token), planId, expect });
    await clients.ready;
    const voter = reviewers[0] as PrincipalConfig;
    const vs = io(server.url, { auth: { token: voter.token }, transports: ["websocket"], forceNew: true });
    const vote = (await vs.timeout(30_000).emitWithAck("plan:vote", { planId, version: 1, decision: "approve" })) as { ok: boolean; error?: unknown };
    if (!vote.ok) throw new Error(JSON.stringify(vote.error));
    const result = await clients.result;
    const events = await server.store.readEvents(planId, 1);
    agent.close();
    vs.close();
    return { result, events };
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function rawRun(events: PlanEvent[]): Promise<ClientResult> {
  const http = createServer();
  const server = new Server(http, { perMessageDeflate: false });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  try {
    const clients = startClients({ url, tokens: Array.from({ length: CLIENTS }, (_, i) => `raw-${i}`), expect: events.length });
    await clients.ready;
    // Same events, same sizes, on the same schedule as the executor produced them (fresh timestamps).
    const origin = (events[0] as PlanEvent).at;
    const start = Date.now();
    let i = 0;
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const now = Date.now();
        while (i < events.length && (events[i] as PlanEvent).at - origin <= now - start) server.emit("plan:event", { ...(events[i++] as PlanEvent), at: now });
        if (i < events.length) setImmediate(tick);
        else resolve();
      };
      tick();
    });
    return await clients.result;
  } finally {
    await server.close();
  }
}

function rate(r: ClientResult): number {
  return r.deliveries / ((r.lastRecv - r.firstAt) / 1_000);
}

const planroom = await planroomRun();
const raw = await rawRun(planroom.events);
const rows = [
  ["", "deliveries", "deliveries/s", "p50 ms", "p99 ms", "max ms"],
  ["raw Socket.IO", raw.deliveries, rate(raw).toFixed(0), raw.p50.toFixed(1), raw.p99.toFixed(1), raw.max.toFixed(1)],
  ["Planroom (file store)", planroom.result.deliveries, rate(planroom.result).toFixed(0), planroom.result.p50.toFixed(1), planroom.result.p99.toFixed(1), planroom.result.max.toFixed(1)],
];
console.log(`fan-out: ${STEPS} steps${STEP_MS > 0 ? ` of ${STEP_MS} ms` : ""}, ${CLIENTS} reviewers, ${planroom.events.length} events per client`);
for (const row of rows) console.log(row.map((c, j) => String(c).padStart(j === 0 ? 0 : 13).padEnd(j === 0 ? 22 : 0)).join(""));
const throughput = rate(planroom.result) / rate(raw);
const p99 = planroom.result.p99 / raw.p99;
console.log(`ratio deliveries/s ${throughput.toFixed(2)}× (target ≥ 0.8×) ${throughput >= 0.8 ? "met" : "MISSED"}`);
console.log(`ratio p99 latency  ${p99.toFixed(2)}× (target ≤ 1.5×) ${p99 <= 1.5 ? "met" : "MISSED"}`);
process.exit(0);
