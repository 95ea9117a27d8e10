/**
 * `npm run bench:store`: durable append throughput of the embedded file store.
 *
 * - append with 10 plans stored vs. with 10,000 plans stored: the same 10 writers (one plan each,
 *   one event per append, each awaiting durability before the next) — the ratio must be ≥ 0.9;
 * - 100 concurrent writers on 100 plans — target ≥ 50k durable events/s.
 *
 * The baseline, measured in the same run on the same disk: raw write + fdatasync of one line, and
 * of 100 lines per fdatasync. Runs are interleaved and the median is reported, since the machine
 * may be busy with other work.
 */
import { closeSync, fdatasync, openSync, writeSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createFileStore, type FileStore } from "../server/store/file-store.js";
import { PlanEvents } from "../test/server/store/plan-events.js";

const fdatasyncAsync = promisify(fdatasync);
const ROUNDS = 5;
const WRITERS_SMALL = 10;
const EVENTS_PER_SMALL_WRITER = 1_500;
const WRITERS_LARGE = 100;
const EVENTS_PER_LARGE_WRITER = 600;

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
async function measure(store: FileStore, plans: PlanEvents[], eventsPerWriter: number): Promise<{ rate: number; perBatch: number }> {
  const before = { ...store.stats };
  const start = performance.now();
  await Promise.all(
    plans.map(async (p) => {
      for (let i = 0; i < eventsPerWriter; i++) await store.append([p.vote(`r${i % 50}`)]);
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const events = store.stats.events - before.events;
  return { rate: events / seconds, perBatch: events / (store.stats.batches - before.batches) };
}

/** Opens the directory, lets `writers` of its plans (spread over all of them) append, closes. */
async function appendRun(dir: string, plans: PlanEvents[], writers: number, eventsPerWriter: number) {
  const store = createFileStore({ dir });
  await store.open();
  const step = Math.max(1, Math.floor(plans.length / writers));
  const chosen = Array.from({ length: writers }, (_, i) => plans[(i * step) % plans.length]!);
  const result = await measure(store, chosen, eventsPerWriter);
  await store.close();
  return result;
}

try {
  const rawOne = await rawFsync(1, 400);
  const rawHundred = await rawFsync(100, 200);

  const small = await prepare("small", 10);
  const large = await prepare("large", 10_000);
  const busy = await prepare("busy", WRITERS_LARGE);

  const smallRuns: number[] = [];
  const largeRuns: number[] = [];
  const busyRuns: number[] = [];
  const perBatch: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    smallRuns.push((await appendRun(small.dir, small.plans, WRITERS_SMALL, EVENTS_PER_SMALL_WRITER)).rate);
    largeRuns.push((await appendRun(large.dir, large.plans, WRITERS_SMALL, EVENTS_PER_SMALL_WRITER)).rate);
    const b = await appendRun(busy.dir, busy.plans, WRITERS_LARGE, EVENTS_PER_LARGE_WRITER);
    busyRuns.push(b.rate);
    perBatch.push(b.perBatch);
  }
  const smallRate = median(smallRuns);
  const largeRate = median(largeRuns);
  const busyRate = median(busyRuns);
  const ratio = largeRate / smallRate;

  const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
  const rows: [string, string, string][] = [
    ["baseline: write + fdatasync, 1 line each", `${fmt(rawOne)} lines/s`, ""],
    ["baseline: write + fdatasync, 100 lines each", `${fmt(rawHundred)} lines/s`, ""],
    [`append, 10 plans stored (${WRITERS_SMALL} writers)`, `${fmt(smallRate)} events/s`, ""],
    [`append, 10,000 plans stored (${WRITERS_SMALL} writers)`, `${fmt(largeRate)} events/s`, `ratio ${ratio.toFixed(2)} (target ≥ 0.9) ${ratio >= 0.9 ? "ok" : "MISSED"}`],
    [`append, ${WRITERS_LARGE} concurrent writers`, `${fmt(busyRate)} events/s`, `target ≥ 50,000 ${busyRate >= 50_000 ? "ok" : "MISSED"}; ~${Math.round(median(perBatch))} events per fsync`],
  ];
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  console.log(`durable appends, median of ${ROUNDS} interleaved rounds\n`);
  for (const row of rows) console.log(row.map((cell, c) => (c === 1 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join("  "));
  console.log(`\nall rounds (events/s): 10 stored ${smallRuns.map(fmt).join(", ")}; 10,000 stored ${largeRuns.map(fmt).join(", ")}; ${WRITERS_LARGE} writers ${busyRuns.map(fmt).join(", ")}`);
} finally {
  await rm(root, { recursive: true, force: true });
}
