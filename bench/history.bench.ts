/**
 * `npm run bench:history`: a server that holds many stored plans. For each stored plan count
 * (`HISTORY_SIZES`, default `1000,10000,100000`) a data directory is generated with
 * `bench/history-fixture.ts` (that many finished 5-step plans, 100 live ones pending approval, and
 * one finished plan of 3,000 steps), then the real server is started on it as a child process
 * (`serve.ts`, the principals of the fixture in a configuration file, default rate limits) and,
 * from socket.io clients in this process, measured:
 *
 * - start-up: spawn to the `planroom listening on` line, and the child's RSS (`VmRSS`) after a
 *   short settle — target at 100k ÷ 1k ≤ 1.5× for both;
 * - `plans:list` (limit 50, an admin, who sees every plan): p50 and p99 over 200 calls — target p50
 *   at 100k ÷ 1k ≤ 2×;
 * - `session:whoami` p99 (a reviewer, paced 10 ms apart) on the idle server and while an observer
 *   loops `plans:list` as fast as its rate budget allows, from a process of its own
 *   (`history-observer.ts`; a `RATE_LIMITED` answer is not counted: the observer waits as long as
 *   it says) — target loaded ÷ idle ≤ 2×;
 * - `plan:join` with `afterSeq: 0` of the 3,000-step plan (6,006 events; median of the joins),
 *   against a plain `readEvents` of the same plan from the file store before the server starts;
 * - shutdown: SIGTERM to exit (clients disconnected first).
 *
 * Each size runs `HISTORY_ROUNDS` (default 3) rounds of a fresh start, interleaved over the sizes
 * (the order alternating); each figure shows the best round and the median. The server logs at
 * `warn` (`info` would write an audit line per command into the pipe this process reads). The
 * machine may be busy with other work: the best round is the least disturbed one.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Socket } from "socket.io-client";
import { LISTENING_PREFIX } from "../server/app/serve.js";
import { createFileStore } from "../server/store/file/file-store.js";
import { call, connect } from "./history-client.js";
import { HISTORY_PRINCIPALS, writeHistoryFixture } from "./history-fixture.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SIZES = (process.env.HISTORY_SIZES ?? "1000,10000,100000").split(",").map((s) => Number(s.trim()));
const ROUNDS = Number(process.env.HISTORY_ROUNDS ?? 3);
const LIST_CALLS = 200;
const WHOAMI_CALLS = 1_000;
const WHOAMI_GAP_MS = 10;
const JOINS = 5;
const SETTLE_MS = 1_000;
const LIVE_PLANS = 100;
const BIG_PLAN_EVENTS = 6_006;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Child {
  url: string;
  pid: number;
  startMs: number;
  /** Sends SIGTERM and resolves with the time to exit. */
  stop(): Promise<number>;
}

/** Starts `serve.ts` on `dir` and resolves once it prints its URL. */
function startServer(dir: string, config: string): Promise<Child> {
  const started = performance.now();
  const child = spawn(process.execPath, ["--import", "tsx", "server/app/serve.ts", "--data", dir, "--port", "0", "--config", config, "--log-level", "warn", "--log-format", "json"], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NODE_ENV: "production" },
  });
  let output = "";
  let exitedAt: number | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exitedAt = performance.now();
      resolve();
    }),
  );
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const line = output.split("\n").find((l) => l.startsWith(LISTENING_PREFIX));
      if (!line) return;
      child.stdout.off("data", onData);
      child.stdout.resume();
      resolve({
        url: line.slice(LISTENING_PREFIX.length).trim(),
        pid: child.pid!,
        startMs: performance.now() - started,
        async stop() {
          const signalled = performance.now();
          child.kill("SIGTERM");
          await exited;
          if (child.exitCode !== 0) throw new Error(`the server exited with ${child.exitCode ?? child.signalCode}:\n${output}`);
          return exitedAt! - signalled;
        },
      });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => reject(new Error(`the server exited with ${code} before listening:\n${output}`)));
  });
}

/** The child's resident set in MiB. */
function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"));
  return Number(/(\d+)/.exec(line ?? "")?.[1] ?? NaN) / 1_024;
}

interface Round {
  startMs: number;
  rssMiB: number;
  listP50: number;
  listP99: number;
  whoamiIdleP99: number;
  whoamiLoadedP99: number;
  /** `plans:list` calls the observer got through during the loaded whoami run. */
  observerCalls: number;
  joinMs: number;
  stopMs: number;
}

interface Size {
  plans: number;
  dir: string;
  bigPlanId: string;
  fixtureMs: number;
  events: number;
  plainReadMs: number;
  rounds: Round[];
}

/** The observer, looping `plans:list` in its own process (see `history-observer.ts`) until stopped; `stop` resolves with its call count. */
function startObserver(url: string): Promise<{ stop(): Promise<number> }> {
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "bench", "history-observer.ts"), url], { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"] });
  let output = "";
  const exited = new Promise<void>((resolve, reject) => {
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`the observer exited with ${code}`))));
  });
  return new Promise((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.startsWith("ready\n") && !output.slice(6).includes("\n"))
        resolve({
          async stop() {
            child.stdin.end("stop\n");
            await exited;
            return (JSON.parse(output.slice(6).trim()) as { calls: number }).calls;
          },
        });
    });
    exited.catch(reject);
  });
}

/** `WHOAMI_CALLS` whoami calls, `WHOAMI_GAP_MS` apart; their latencies. */
async function whoamis(socket: Socket): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < WHOAMI_CALLS; i++) {
    times.push((await call(socket, "session:whoami", {})).ms);
    await sleep(WHOAMI_GAP_MS);
  }
  return times;
}

/** Checks what a server on the fixture lists: the live plans pending approval, the big plan completed. */
async function checkFixture(admin: Socket, size: Size): Promise<void> {
  const { answer: live } = await call<{ plans: { status: string }[] }>(admin, "plans:list", { status: "pending_approval", limit: 500 });
  if (live.plans.length !== LIVE_PLANS) throw new Error(`expected ${LIVE_PLANS} plans pending approval, the server lists ${live.plans.length}`);
  const { answer: done } = await call<{ plans: { status: string }[]; nextCursor?: string }>(admin, "plans:list", { status: "completed", limit: 500 });
  if (done.plans.length !== Math.min(500, size.plans + 1) || done.plans.some((p) => p.status !== "completed")) throw new Error(`expected ${Math.min(500, size.plans + 1)} completed plans, got ${done.plans.length}`);
}

/** Everything but the shutdown, on a started server; its clients are disconnected afterwards. */
async function measure(server: Child, size: Size, check: boolean): Promise<Omit<Round, "stopMs">> {
  await sleep(SETTLE_MS);
  const rss = rssMiB(server.pid);
  const admin = await connect(server.url, "admin");
  const reviewer = await connect(server.url, "rev-1");
  try {
    if (check) await checkFixture(admin, size);
    // plans:list, after a few warm-up calls
    for (let i = 0; i < 10; i++) await call(admin, "plans:list", { limit: 50 });
    const lists: number[] = [];
    for (let i = 0; i < LIST_CALLS; i++) lists.push((await call(admin, "plans:list", { limit: 50 })).ms);

    await whoamis(reviewer); // warm-up
    const idle = await whoamis(reviewer);
    const observer = await startObserver(server.url);
    const loaded = await whoamis(reviewer);
    const observerCalls = await observer.stop();

    const joins: number[] = [];
    for (let i = 0; i < JOINS + 1; i++) {
      const { answer, ms } = await call<{ events: unknown[] }>(admin, "plan:join", { planId: size.bigPlanId, afterSeq: 0 });
      if (answer.events.length !== BIG_PLAN_EVENTS) throw new Error(`plan:join gave ${answer.events.length} events, expected ${BIG_PLAN_EVENTS}`);
      if (i > 0) joins.push(ms); // the first is a warm-up
      await call(admin, "plan:leave", { planId: size.bigPlanId });
    }
    return { startMs: server.startMs, rssMiB: rss, listP50: percentile(lists, 50), listP99: percentile(lists, 99), whoamiIdleP99: percentile(idle, 99), whoamiLoadedP99: percentile(loaded, 99), observerCalls, joinMs: median(joins) };
  } finally {
    for (const s of [admin, reviewer]) s.close();
    await sleep(100);
  }
}

/** One fresh start of the server on the size's directory: measured, then stopped (timed). */
async function round(size: Size, config: string, check: boolean): Promise<Round> {
  const server = await startServer(size.dir, config);
  let measured: Omit<Round, "stopMs">;
  try {
    measured = await measure(server, size, check);
  } catch (error) {
    await server.stop().catch(() => 0);
    throw error;
  }
  return { ...measured, stopMs: await server.stop() };
}

/** A plain `readEvents` of the big plan from the store (median of `JOINS`, after one warm-up). */
async function plainRead(dir: string, planId: string): Promise<number> {
  const store = createFileStore({ dir });
  await store.open();
  try {
    const times: number[] = [];
    for (let i = 0; i < JOINS + 1; i++) {
      const start = performance.now();
      const events = await store.readEvents(planId, 0);
      if (events.length !== BIG_PLAN_EVENTS) throw new Error(`readEvents gave ${events.length} events`);
      if (i > 0) times.push(performance.now() - start);
    }
    return median(times);
  } finally {
    await store.close();
  }
}

const fmt = (n: number, digits = 0): string => n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (n: number): string => (n >= 100 ? `${fmt(n)} ms` : `${fmt(n, 2)} ms`);

const root = await mkdtemp(join(tmpdir(), "planroom-bench-history-"));
try {
  const config = join(root, "config.json");
  await writeFile(config, JSON.stringify({ principals: HISTORY_PRINCIPALS }));
  const sizes: Size[] = [];
  for (const plans of SIZES) {
    const dir = join(root, `data-${plans}`);
    const fixture = await writeHistoryFixture(dir, plans);
    const plainReadMs = await plainRead(dir, fixture.bigPlanId);
    sizes.push({ plans, dir, bigPlanId: fixture.bigPlanId, fixtureMs: fixture.ms, events: fixture.events, plainReadMs, rounds: [] });
    console.log(`fixture: ${fmt(plans)} finished plans + ${LIVE_PLANS} live + 1 of 3,000 steps, ${fmt(fixture.events)} events, written in ${(fixture.ms / 1_000).toFixed(1)} s`);
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const size of r % 2 === 0 ? sizes : [...sizes].reverse()) {
      const result = await round(size, config, r === 0);
      size.rounds.push(result);
      console.log(`round ${r + 1}, ${fmt(size.plans)} plans: start ${ms(result.startMs)}, RSS ${fmt(result.rssMiB)} MiB, list p50 ${ms(result.listP50)}, whoami p99 ${ms(result.whoamiIdleP99)} idle / ${ms(result.whoamiLoadedP99)} loaded, join ${ms(result.joinMs)}, stop ${ms(result.stopMs)}`);
    }
  }

  type Key = Exclude<keyof Round, "observerCalls">;
  const best = (s: Size, key: Key): number => Math.min(...s.rounds.map((x) => x[key]));
  const mid = (s: Size, key: Key): number => median(s.rounds.map((x) => x[key]));
  const cell = (s: Size, key: Key, unit: (n: number) => string = ms): string => `${unit(best(s, key))} (${unit(mid(s, key))})`;
  const mib = (n: number): string => `${fmt(n)} MiB`;
  const rows: string[][] = [
    ["stored plans", "start-up", "RSS", "list p50", "list p99", "whoami p99 idle", "whoami p99 loaded", "plan:join", "readEvents", "shutdown"],
    ...sizes.map((s) => [fmt(s.plans), cell(s, "startMs"), cell(s, "rssMiB", mib), cell(s, "listP50"), cell(s, "listP99"), cell(s, "whoamiIdleP99"), cell(s, "whoamiLoadedP99"), cell(s, "joinMs"), ms(s.plainReadMs), cell(s, "stopMs")]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  console.log(`\nbest round (median of ${ROUNDS}); plans:list ${LIST_CALLS} calls, whoami ${WHOAMI_CALLS} calls, plan:join of ${fmt(BIG_PLAN_EVENTS)} events median of ${JOINS}\n`);
  for (const row of rows) console.log(row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  "));
  console.log(`\nobserver plans:list calls during the loaded whoami run (median): ${sizes.map((s) => `${fmt(s.plans)}: ${fmt(median(s.rounds.map((x) => x.observerCalls)))}`).join(", ")}`);

  const check = (ratio: number, target: number): string => `${ratio.toFixed(2)}× (target ≤ ${target}×: ${ratio <= target ? "ok" : "MISSED"})`;
  const small = sizes[0]!;
  const large = sizes[sizes.length - 1]!;
  console.log("");
  if (sizes.length > 1) {
    const label = `${fmt(large.plans)} ÷ ${fmt(small.plans)}`;
    console.log(`start-up ${label}: ${check(best(large, "startMs") / best(small, "startMs"), 1.5)}, median ${(mid(large, "startMs") / mid(small, "startMs")).toFixed(2)}×`);
    console.log(`RSS ${label}: ${check(best(large, "rssMiB") / best(small, "rssMiB"), 1.5)}`);
    console.log(`plans:list p50 ${label}: ${check(best(large, "listP50") / best(small, "listP50"), 2)}, median ${(mid(large, "listP50") / mid(small, "listP50")).toFixed(2)}×`);
  }
  for (const s of sizes) {
    console.log(
      `${fmt(s.plans)} plans: whoami p99 loaded ÷ idle ${check(best(s, "whoamiLoadedP99") / best(s, "whoamiIdleP99"), 2)}; plan:join ÷ readEvents ${(best(s, "joinMs") / s.plainReadMs).toFixed(1)}×; shutdown ${ms(best(s, "stopMs"))} (median ${ms(mid(s, "stopMs"))})`,
    );
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
