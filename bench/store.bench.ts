/**
 * `npm run bench:store`: durable append throughput of the embedded file store.
 *
 * - append with 10 plans stored vs. with 10,000 plans stored: the same 10 writers (one plan each,
 *   one event per append, each awaiting durability before the next) — the ratio must be ≥ 0.9;
 * - 100 concurrent writers on 100 plans — target ≥ 50k durable events/s;
 * - 256, 512 and 4,000 concurrent writers (one plan each, 4,000 plans stored), the same number of
 *   events in total — 4,000 writers must keep ≥ 0.8× of the 256-writer rate; a last row runs 4,000
 *   writers with the old budget of 256 descriptors (`maxOpenFiles: 256`), so that every commit
 *   opens and closes plan files. `STORE_BENCH_WRITERS_ONLY=1` runs only this part.
 *
 * The baseline, measured in the same run on the same disk: raw write + fdatasync of one line, and
 * of 100 lines per fdatasync. Runs are interleaved; the machine may be busy with other work, so
 * each figure shows the best round (the least disturbed: the one the targets are checked on) and
 * the median, plus the CPU time the process spent per event (insensitive to waiting).
 */
import { closeSync, fdatasync, openSync, writeSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createFileStore, type FileStore } from "../server/store/file/file-store.js";
import { PlanEvents } from "../test/server/store/plan-events.js";

const fdatasyncAsync = promisify(fdatasync);
const ROUNDS = Number(process.env.STORE_BENCH_ROUNDS ?? 5);
const WRITERS_SMALL = 10;
const EVENTS_PER_SMALL_WRITER = 1_500;
const WRITERS_LARGE = 100;
const EVENTS_PER_LARGE_WRITER = 600;
const WRITER_COUNTS = [256, 512, 4_000];
/** Events per run of the writers part, split evenly over its writers. */
const WRITERS_TOTAL_EVENTS = 64_000;
const WRITERS_ONLY = process.env.STORE_BENCH_WRITERS_ONLY === "1";

const root = await mkdtemp(join(tmpdir(), "planroom-bench-store-"));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function rawFsync(linesPerSync: number, syncs: number): Promise<number> {
  const path = join(root, `raw-${linesPerSync}.log`);
  const fd = openSync(path, "a");
  const line = `${JSON.stringify({ planId: "raw", seq: 1, type: "vote.cast", at: Date.now(), data: { vote: { voterId: "r", voterName: "r", decision: "approve", version: 1, at: 0 } } })}\n`;
  const chunk = Buffer.from(line.repeat(linesPerSync));
  const start = performance.now();
  for (let i = 0; i < syncs; i++) {
    writeSync(fd, chunk);
    await fdatasyncAsync(fd);
  }
  const seconds = (performance.now() - start) / 1000;
  closeSync(fd);
  return (linesPerSync * syncs) / seconds;
}

/** A data directory holding `stored` plans, and the event builders that continue them. */
async function prepare(name: string, stored: number): Promise<{ dir: string; plans: PlanEvents[] }> {
  const dir = join(root, name);
  const store = createFileStore({ dir });
  await store.open();
  const plans = Array.from({ length: stored }, (_, i) => new PlanEvents(`plan-${i}`));
  for (let i = 0; i < plans.length; i += 1_000) {
    await Promise.all(plans.slice(i, i + 1_000).map((p) => store.append([p.submitted(), p.vote()])));
  }
  await store.close();
  return { dir, plans };
}

/** Runs `writers` concurrent writers, each appending one event at a time to its own plan. */
async function measure(store: FileStore, plans: PlanEvents[], eventsPerWriter: number): Promise<Run> {
  const before = { ...store.stats };
  const cpu = process.cpuUsage();
  const start = performance.now();
  await Promise.all(
    plans.map(async (p) => {
      for (let i = 0; i < eventsPerWriter; i++) await store.append([p.vote(`r${i % 50}`)]);
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const events = store.stats.events - before.events;
  const batches = store.stats.batches - before.batches;
  return { rate: events / seconds, perBatch: events / batches, cpuUs: (used.user + used.system) / events, fsyncUs: ((store.stats.fsyncMs - before.fsyncMs) * 1000) / batches };
}

interface Run {
  /** Durable events per second. */
  rate: number;
  /** Events per commit (one fdatasync each). */
  perBatch: number;
  /** Process CPU time per event, in µs. */
  cpuUs: number;
  /** Mean wait for one commit's fdatasync, in µs. */
  fsyncUs: number;
}

function summarise(runs: Run[]) {
  return {
    best: Math.max(...runs.map((r) => r.rate)),
    median: median(runs.map((r) => r.rate)),
    cpuUs: median(runs.map((r) => r.cpuUs)),
    perBatch: median(runs.map((r) => r.perBatch)),
    fsyncUs: median(runs.map((r) => r.fsyncUs)),
  };
}

/** Opens the directory, lets `writers` of its plans (spread over all of them) append, closes. */
async function appendRun(dir: string, plans: PlanEvents[], writers: number, eventsPerWriter: number, maxOpenFiles?: number): Promise<Run> {
  const store = createFileStore({ dir, ...(maxOpenFiles === undefined ? {} : { maxOpenFiles }) });
  await store.open();
  const step = Math.max(1, Math.floor(plans.length / writers));
  const chosen = Array.from({ length: writers }, (_, i) => plans[(i * step) % plans.length]!);
  // The store reads a plan's log position when the plan is first used (a server does so when it
  // loads the plan's room), not at open: read once here, as for plans whose rooms are live.
  await Promise.all(chosen.map((p) => store.readEvents(p.planId, Number.MAX_SAFE_INTEGER)));
  const result = await measure(store, chosen, eventsPerWriter);
  await store.close();
  return result;
}

/** The stored-plans and 100-writer figures. */
async function mainPart(): Promise<void> {
  const rawOne = await rawFsync(1, 400);
  const rawHundred = await rawFsync(100, 200);

  const small = await prepare("small", 10);
  const large = await prepare("large", 10_000);
  const busy = await prepare("busy", WRITERS_LARGE);

  const smallRuns: Run[] = [];
  const largeRuns: Run[] = [];
  const busyRuns: Run[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    smallRuns.push(await appendRun(small.dir, small.plans, WRITERS_SMALL, EVENTS_PER_SMALL_WRITER));
    largeRuns.push(await appendRun(large.dir, large.plans, WRITERS_SMALL, EVENTS_PER_SMALL_WRITER));
    busyRuns.push(await appendRun(busy.dir, busy.plans, WRITERS_LARGE, EVENTS_PER_LARGE_WRITER));
  }
  const s10 = summarise(smallRuns);
  const s10k = summarise(largeRuns);
  const s100 = summarise(busyRuns);
  const ratio = s10k.best / s10.best;

  const rows: string[][] = [
    ["", "best", "median", "CPU/event", "fdatasync", "check"],
    ["baseline: write + fdatasync, 1 line each", `${fmt(rawOne)}/s`, "", "", `${fmt(1e6 / rawOne)} µs`, ""],
    ["baseline: write + fdatasync, 100 lines each", `${fmt(rawHundred)}/s`, "", "", "", ""],
    [`append, 10 plans stored (${WRITERS_SMALL} writers)`, `${fmt(s10.best)}/s`, `${fmt(s10.median)}/s`, `${s10.cpuUs.toFixed(1)} µs`, `${fmt(s10.fsyncUs)} µs`, ""],
    [
      `append, 10,000 plans stored (${WRITERS_SMALL} writers)`,
      `${fmt(s10k.best)}/s`,
      `${fmt(s10k.median)}/s`,
      `${s10k.cpuUs.toFixed(1)} µs`,
      `${fmt(s10k.fsyncUs)} µs`,
      `ratio ${ratio.toFixed(2)} (median ${(s10k.median / s10.median).toFixed(2)}, CPU ${(s10.cpuUs / s10k.cpuUs).toFixed(2)}); target ≥ 0.9 ${ratio >= 0.9 ? "ok" : "MISSED"}`,
    ],
    [
      `append, ${WRITERS_LARGE} concurrent writers`,
      `${fmt(s100.best)}/s`,
      `${fmt(s100.median)}/s`,
      `${s100.cpuUs.toFixed(1)} µs`,
      `${fmt(s100.fsyncUs)} µs`,
      `target ≥ 50,000 ${s100.best >= 50_000 ? "ok" : "MISSED"}; ~${Math.round(s100.perBatch)} events per fsync`,
    ],
  ];
  const widths = [0, 1, 2, 3, 4, 5].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  console.log(`durable appends (events/s), ${ROUNDS} interleaved rounds\n`);
  for (const row of rows) console.log(row.map((cell, c) => (c >= 1 && c <= 4 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join("  ").trimEnd());
  const list = (runs: Run[]) => runs.map((r) => fmt(r.rate)).join(", ");
  console.log(`\nall rounds: 10 stored ${list(smallRuns)}; 10,000 stored ${list(largeRuns)}; ${WRITERS_LARGE} writers ${list(busyRuns)}`);
}

/** 256, 512 and 4,000 concurrent writers, interleaved, plus 4,000 writers on 256 descriptors. */
async function writersPart(fmt: (n: number) => string): Promise<void> {
  const most = Math.max(...WRITER_COUNTS);
  const many = await prepare("writers", most);
  const cases = [...WRITER_COUNTS.map((writers) => ({ writers, maxOpenFiles: undefined as number | undefined })), { writers: most, maxOpenFiles: 256 }];
  const runs = cases.map(() => [] as Run[]);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, c] of cases.entries()) {
      runs[i]!.push(await appendRun(many.dir, many.plans, c.writers, Math.ceil(WRITERS_TOTAL_EVENTS / c.writers), c.maxOpenFiles));
    }
  }
  const summaries = runs.map(summarise);
  const base = summaries[0]!;
  const rows: string[][] = [["", "best", "median", "CPU/event", "fdatasync", "÷ 256 writers (best, median)"]];
  for (const [i, c] of cases.entries()) {
    const s = summaries[i]!;
    const ratio = s.best / base.best;
    const label = `${fmt(c.writers)} concurrent writers${c.maxOpenFiles === undefined ? "" : `, ${c.maxOpenFiles} descriptors`}`;
    const check = c.writers === most && c.maxOpenFiles === undefined ? `; target ≥ 0.8 ${ratio >= 0.8 ? "ok" : "MISSED"}` : "";
    rows.push([label, `${fmt(s.best)}/s`, `${fmt(s.median)}/s`, `${s.cpuUs.toFixed(1)} µs`, `${fmt(s.fsyncUs)} µs`, `${ratio.toFixed(2)}, ${(s.median / base.median).toFixed(2)}${check}; ~${Math.round(s.perBatch)} events per fsync`]);
  }
  const widths = [0, 1, 2, 3, 4, 5].map((col) => Math.max(...rows.map((r) => r[col]!.length)));
  console.log(`\nconcurrent writers (${fmt(most)} plans stored, ${fmt(WRITERS_TOTAL_EVENTS)} events a run), ${ROUNDS} interleaved rounds\n`);
  for (const row of rows) console.log(row.map((cell, col) => (col >= 1 && col <= 4 ? cell.padStart(widths[col]!) : cell.padEnd(widths[col]!))).join("  ").trimEnd());
  console.log(`\nall rounds: ${cases.map((c, i) => `${fmt(c.writers)}${c.maxOpenFiles === undefined ? "" : `/${c.maxOpenFiles}`} ${runs[i]!.map((r) => fmt(r.rate)).join(", ")}`).join("; ")}`);
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

try {
  if (!WRITERS_ONLY) await mainPart();
  await writersPart(fmt);
} finally {
  await rm(root, { recursive: true, force: true });
}
