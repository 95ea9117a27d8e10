/**
 * `npm run bench:handshake`: a good client's `session:whoami` latency (p50/p99) and the server's
 * RSS, idle and during a flood of bad-token handshakes from the same address (127.0.0.1).
 *
 * The server runs in this process; the good client and the flooder each run in a child process
 * (this file, with `--role`), so that neither shares an event loop with the server or the other.
 * Idle and flood windows alternate (`FLOOD_ROUNDS` rounds of an idle window then a flood window)
 * and the good client's samples are pooled per kind of window, so that a burst of other work on
 * the machine weighs on both sides alike.
 *
 * Two servers are measured in the same run: the default one (`authFailureLimit` on: burst 20,
 * 60/min; `handshakeLimit` on: 300 handshakes without a bearer header per address at once, 50/s)
 * and one whose limiters never block (`burst` 10⁹: every bad token is looked at, as before the
 * limiters). The good client is the SDK, which sends its token as a bearer header too, so the
 * blocked address still lets it in.
 *
 * On Linux with `taskset` and at least 2 CPUs, the server gets CPU 0 to itself and both clients
 * share the others, the flooder at the lowest priority (`nice 19`): as if the flood and the good
 * client came from other machines, and so that the flooder's own CPU use does not delay the good
 * client's process (`FLOOD_PIN=0`: no placement; on a small machine the three then compete).
 *
 * Environment: `FLOOD_ROUNDS` (default 3), `FLOOD_IDLE_MS` (4000 per window), `FLOOD_MS` (6000 per
 * window), `FLOOD_CONCURRENCY` (64 handshakes in flight), `FLOOD_TRANSPORT` (`websocket` or
 * `polling`), `FLOOD_MODES` (`limited,unlimited`), `FLOOD_PIN`.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { availableParallelism } from "node:os";
import { monitorEventLoopDelay, performance, PerformanceObserver } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { io } from "socket.io-client";
import { connect } from "../client/index.js";
import type { PrincipalConfig } from "../server/app/config.js";
import { createPlanroomServer } from "../server/app/create-server.js";
import { silentLogger } from "../server/runtime/logger.js";
import { createMemoryStore } from "../server/store/memory-store.js";

const ROUNDS = Number(process.env.FLOOD_ROUNDS ?? 3);
const IDLE_MS = Number(process.env.FLOOD_IDLE_MS ?? 4_000);
const FLOOD_MS = Number(process.env.FLOOD_MS ?? 6_000);
const CONCURRENCY = Number(process.env.FLOOD_CONCURRENCY ?? 64);
const TRANSPORT = process.env.FLOOD_TRANSPORT === "polling" ? "polling" : "websocket";
const MODES = (process.env.FLOOD_MODES ?? "limited,unlimited").split(",").map((m) => m.trim());
/** One `whoami` every this many ms: under the per-socket command rate (100/s). */
const WHOAMI_EVERY_MS = 15;
const GOOD_TOKEN = "bench-good-reviewer-token-0001";
const PRINCIPALS: PrincipalConfig[] = [{ id: "reviewer", name: "Reviewer", roles: ["reviewer"], token: GOOD_TOKEN }];
const SELF = fileURLToPath(import.meta.url);
const CPUS = availableParallelism();
/** CPU lists for `taskset -c` (the server; the clients), when placement is possible. */
const PINNING =
  process.env.FLOOD_PIN !== "0" && process.platform === "linux" && CPUS >= 2 && spawnSync("taskset", ["-V"]).status === 0 && spawnSync("nice", ["true"]).status === 0
    ? { server: "0", clients: CPUS === 2 ? "1" : `1-${CPUS - 1}` }
    : undefined;

const epochNow = (): number => performance.timeOrigin + performance.now();

interface Latencies {
  n: number;
  p50: number;
  p99: number;
  max: number;
}
interface FloodResult {
  attempts: number;
  unauthenticated: number;
  rateLimited: number;
  transportRefused: number;
  other: number;
}

function percentiles(samples: number[]): Latencies {
  const sorted = [...samples].sort((a, b) => a - b);
  const pct = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
  return { n: sorted.length, p50: pct(50), p99: pct(99), max: sorted[sorted.length - 1] ?? 0 };
}

/** Child role: the good client. Sends `whoami` every WHOAMI_EVERY_MS until stdin ends; prints `[sentAt, latencyMs]` pairs. */
async function measure(url: string): Promise<void> {
  const client = connect(url, { token: GOOD_TOKEN, commandTimeoutMs: 10_000 });
  for (let i = 0; i < 20; i++) await client.whoami(); // warm up
  let stop = false;
  process.stdin.on("end", () => (stop = true)).resume();
  console.log(JSON.stringify({ ready: true }));
  const samples: [number, number][] = [];
  while (!stop) {
    const at = epochNow();
    const t = performance.now();
    await client.whoami();
    samples.push([at, performance.now() - t]);
    await new Promise((r) => setTimeout(r, WHOAMI_EVERY_MS));
  }
  client.close();
  console.log(JSON.stringify({ samples }));
}

/** Child role: the flooder. For each `<ms>` line on stdin, keeps CONCURRENCY bad-token handshakes in flight for that long; prints what came back. */
async function flood(url: string): Promise<void> {
  const one = (result: FloodResult): Promise<void> =>
    new Promise((resolve) => {
      const socket = io(url, { auth: { token: "bad-token-bad-token-bad" }, transports: [TRANSPORT], reconnection: false, forceNew: true, timeout: 5_000 });
      const done = (kind: Exclude<keyof FloodResult, "attempts">): void => {
        result.attempts++;
        result[kind]++;
        socket.close();
        resolve();
      };
      socket.once("connect", () => done("other"));
      socket.once("connect_error", (e) => {
        if (e.message.startsWith("UNAUTHENTICATED")) done("unauthenticated");
        else if (e.message.startsWith("RATE_LIMITED")) done("rateLimited");
        else if (e.message === "websocket error" || e.message === "xhr poll error") done("transportRefused");
        else done("other");
      });
    });
  console.log(JSON.stringify({ ready: true }));
  for await (const line of createInterface({ input: process.stdin })) {
    const result: FloodResult = { attempts: 0, unauthenticated: 0, rateLimited: 0, transportRefused: 0, other: 0 };
    const end = performance.now() + Number(line);
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < end) await one(result);
      }),
    );
    console.log(JSON.stringify(result));
  }
}

/** A child running this file in `role`: its JSON lines, one at a time. */
class Child {
  private readonly proc: ChildProcess;
  private readonly queue: unknown[] = [];
  private waiting: ((msg: unknown) => void) | undefined;

  constructor(role: "measure" | "flood", url: string) {
    const args = ["--import", "tsx", SELF, "--role", role, url];
    const command = PINNING ? ["taskset", "-c", PINNING.clients, ...(role === "flood" ? ["nice", "-n", "19"] : []), process.execPath, ...args] : [process.execPath, ...args];
    this.proc = spawn(command[0] as string, command.slice(1), { stdio: ["pipe", "pipe", "inherit"] });
    createInterface({ input: this.proc.stdout! }).on("line", (line) => {
      const msg: unknown = JSON.parse(line);
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w(msg);
      } else this.queue.push(msg);
    });
  }

  next<T>(): Promise<T> {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift() as T);
    return new Promise((resolve) => (this.waiting = resolve as (msg: unknown) => void));
  }

  send(line: string): void {
    this.proc.stdin!.write(`${line}\n`);
  }

  end(): void {
    this.proc.stdin!.end();
  }
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const ms = (v: number): string => `${v.toFixed(2)} ms`;
const sleep = (t: number): Promise<void> => new Promise((r) => setTimeout(r, t));

async function run(mode: string): Promise<void> {
  const server = await createPlanroomServer({
    host: "127.0.0.1",
    port: 0,
    principals: PRINCIPALS,
    store: createMemoryStore(),
    log: silentLogger,
    webDir: "/nonexistent",
    ...(mode === "unlimited" ? { authFailureLimit: { burst: 1_000_000_000 }, handshakeLimit: { burst: 1_000_000_000, perSecond: 1_000_000_000 } } : {}),
  });
  let refusedBeforeSession = 0;
  server.io.engine.on("connection_error", (e: { code: number }) => {
    if (e.code === 4) refusedBeforeSession++;
  });
  try {
    const measurer = new Child("measure", server.url);
    const flooder = new Child("flood", server.url);
    await Promise.all([measurer.next(), flooder.next()]);
    const windows: { kind: "idle" | "flood"; from: number; to: number }[] = [];
    const totals: FloodResult = { attempts: 0, unauthenticated: 0, rateLimited: 0, transportRefused: 0, other: 0 };
    const rss = { idle: 0, flood: 0 };
    const rssStart = process.memoryUsage().rss;
    let phase: "idle" | "flood" = "idle";
    const sampler = setInterval(() => (rss[phase] = Math.max(rss[phase], process.memoryUsage().rss)), 50);
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const stalls = { p99: 0, max: 0 };
    const gc = { count: 0, total: 0, max: 0 };
    const gcObserver = new PerformanceObserver((list) => {
      if (phase !== "flood") return;
      for (const e of list.getEntries()) {
        gc.count++;
        gc.total += e.duration;
        gc.max = Math.max(gc.max, e.duration);
      }
    });
    gcObserver.observe({ entryTypes: ["gc"] });
    let busy = 0;
    let cpuMs = 0;
    for (let round = 0; round < ROUNDS; round++) {
      phase = "idle";
      let from = epochNow();
      await sleep(IDLE_MS);
      windows.push({ kind: "idle", from, to: epochNow() });

      phase = "flood";
      from = epochNow();
      const elu = performance.eventLoopUtilization();
      const cpu = process.cpuUsage();
      delay.reset();
      flooder.send(String(FLOOD_MS));
      const result = await flooder.next<FloodResult>();
      stalls.p99 = Math.max(stalls.p99, delay.percentile(99) / 1e6);
      stalls.max = Math.max(stalls.max, delay.max / 1e6);
      windows.push({ kind: "flood", from, to: epochNow() });
      busy += performance.eventLoopUtilization(elu).utilization * FLOOD_MS;
      const used = process.cpuUsage(cpu);
      cpuMs += (used.user + used.system) / 1_000;
      for (const k of Object.keys(totals) as (keyof FloodResult)[]) totals[k] += result[k];
    }
    clearInterval(sampler);
    delay.disable();
    gcObserver.disconnect();
    flooder.end();
    measurer.end();
    const { samples } = await measurer.next<{ samples: [number, number][] }>();
    const of = (kind: "idle" | "flood"): Latencies => percentiles(samples.filter(([at]) => windows.some((w) => w.kind === kind && at >= w.from && at < w.to)).map(([, l]) => l));
    const idle = of("idle");
    const flooded = of("flood");
    const floodSeconds = (ROUNDS * FLOOD_MS) / 1_000;

    const label = mode === "limited" ? "authFailureLimit and handshakeLimit on (defaults)" : mode === "unlimited" ? "authFailureLimit and handshakeLimit off (burst 10⁹: every bad token is checked)" : `${mode} (the server's defaults)`;
    console.log(`\n${label} — flood over ${TRANSPORT}, ${CONCURRENCY} in flight`);
    console.log(
      `  flood       : ${totals.attempts} bad handshakes in ${floodSeconds} s (${Math.round(totals.attempts / floodSeconds)}/s): ${totals.unauthenticated} UNAUTHENTICATED (token checked), ${totals.rateLimited} RATE_LIMITED by the middleware, ${totals.transportRefused} refused at the transport (${refusedBeforeSession} by allowRequest), ${totals.other} other`,
    );
    console.log(`  whoami idle : p50 ${ms(idle.p50)}  p99 ${ms(idle.p99)}  max ${ms(idle.max)}  (n=${idle.n})`);
    console.log(`  whoami flood: p50 ${ms(flooded.p50)}  p99 ${ms(flooded.p99)}  max ${ms(flooded.max)}  (n=${flooded.n})`);
    console.log(`  flood/idle  : p50 ${(flooded.p50 / idle.p50).toFixed(2)}×  p99 ${(flooded.p99 / idle.p99).toFixed(2)}×`);
    console.log(
      `  server      : during the flood, event loop ${((busy / (ROUNDS * FLOOD_MS)) * 100).toFixed(0)}% busy (delay p99 ${ms(stalls.p99)}, max ${ms(stalls.max)}, worst window), ${((cpuMs / (ROUNDS * FLOOD_MS)) * 100).toFixed(0)}% of a CPU; GC ${gc.count} pauses, ${ms(gc.total)} in all, longest ${ms(gc.max)}`,
    );
    console.log(`  server RSS  : at start ${mb(rssStart)}, peak idle ${mb(rss.idle)}, peak during floods ${mb(rss.flood)}, at the end ${mb(process.memoryUsage().rss)}`);
  } finally {
    await server.close();
  }
}

const roleAt = process.argv.indexOf("--role");
if (roleAt >= 0) {
  const [role, url] = process.argv.slice(roleAt + 1);
  await (role === "flood" ? flood(url as string) : measure(url as string));
  process.exit(0);
} else {
  console.log(`handshake flood: ${ROUNDS} rounds of ${IDLE_MS / 1_000} s idle + ${FLOOD_MS / 1_000} s flood; the good client sends whoami every ${WHOAMI_EVERY_MS} ms`);
  if (PINNING) {
    spawnSync("taskset", ["-p", "-c", PINNING.server, String(process.pid)]);
    console.log(`placement: server on CPU ${PINNING.server}; good client and flooder (nice 19) on CPU ${PINNING.clients}`);
  } else {
    console.log(`no placement (${CPUS} CPUs): the flooder competes with the server and the good client for CPU`);
  }
  for (const mode of MODES) await run(mode);
}
