/**
 * `npm run bench:index`: what keeping the plan index on disk costs as plans pile up, for the
 * journal the file store uses (`plan-index.jsonl`: the changed entries appended, the whole index
 * rewritten once superseded lines outnumber the plans twice) against a lowdb document holding every
 * entry (`index.json`: what the store kept before, rewritten whole on every write), at 1,000,
 * 10,000 and 100,000 plans, in one run:
 *
 * - **write**: one background write of 50 changed entries (what a busy server writes every few
 *   seconds). For the journal, the append plus its share of the rewrite that the appends lead to;
 *   for lowdb, the whole document. The journal's cost must not grow with the plans.
 * - **open**: reading the index back at start (the journal reads only each plan's keys; rows stay on
 *   disk until a list shows them; lowdb parses the whole document).
 *
 * Entries are real: each plan's events folded by the store's own index code.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Low } from "lowdb";
import { JSONFile } from "lowdb/node";
import { PlanIndexJournal } from "../server/store/file/plan-index-journal.js";
import { PlanIndexTable } from "../server/store/plan-index-table.js";
import type { IndexEntry } from "../server/store/plan-index-table.js";
import { PlanEvents } from "../test/server/store/plan-events.js";

const SIZES = (process.env.INDEX_SIZES ?? "1000,10000,100000").split(",").map(Number);
const CHANGED = 50;
const ROUNDS = Number(process.env.INDEX_ROUNDS ?? 5);

function table(count: number): PlanIndexTable {
  const t = new PlanIndexTable();
  for (let i = 0; i < count; i++) {
    const p = new PlanEvents(`plan-${i}`, () => 1_700_000_000_000 + i * 1_000);
    t.apply([p.submitted(), p.vote(), ...p.run()]);
  }
  return t;
}

async function time(task: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await task();
  return performance.now() - start;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface Row {
  plans: number;
  journalWriteMs: number;
  journalRewriteMs: number;
  journalPerWriteMs: number;
  lowdbWriteMs: number;
  journalOpenMs: number;
  lowdbOpenMs: number;
}

async function measure(count: number, dir: string): Promise<Row> {
  const entries = table(count).entries();
  const changed: IndexEntry[] = entries.slice(-CHANGED);
  const journal = new PlanIndexJournal(dir);
  await journal.rewrite(entries);
  const db = new Low<{ plans: Record<string, unknown> }>(new JSONFile(join(dir, "index.json")), { plans: {} });
  db.data = { plans: Object.fromEntries(entries.map((e) => [e.id, { row: e.row, policy: e.policy }])) };
  const appends: number[] = [];
  const lowdbWrites: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    appends.push(await time(() => journal.append(changed)));
    lowdbWrites.push(await time(() => db.write()));
  }
  const rewrites: number[] = [];
  for (let round = 0; round < ROUNDS; round++) rewrites.push(await time(() => journal.rewrite(entries)));
  // A rewrite follows at least (plans + 10,000) / 50 writes of 50 changed entries.
  const writesPerRewrite = (count + 10_000) / CHANGED;
  const journalOpens: number[] = [];
  const lowdbOpens: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    journalOpens.push(await time(() => new PlanIndexJournal(dir).read()));
    lowdbOpens.push(await time(() => new Low<{ plans: Record<string, unknown> }>(new JSONFile(join(dir, "index.json")), { plans: {} }).read()));
  }
  await journal.close();
  const journalWriteMs = median(appends);
  const journalRewriteMs = median(rewrites);
  return {
    plans: count,
    journalWriteMs,
    journalRewriteMs,
    journalPerWriteMs: journalWriteMs + journalRewriteMs / writesPerRewrite,
    lowdbWriteMs: median(lowdbWrites),
    journalOpenMs: median(journalOpens),
    lowdbOpenMs: median(lowdbOpens),
  };
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const count of SIZES) {
    const dir = await mkdtemp(join(tmpdir(), "planroom-index-bench-"));
    try {
      rows.push(await measure(count, dir));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const f = (ms: number): string => ms.toFixed(2).padStart(9);
  console.log(`write of ${CHANGED} changed entries and opening the index (median of ${ROUNDS}, ms)`);
  console.log("    plans | journal append | + rewrite share | lowdb write | journal open | lowdb open");
  for (const r of rows) console.log(`${String(r.plans).padStart(9)} | ${f(r.journalWriteMs)}      | ${f(r.journalPerWriteMs)}       | ${f(r.lowdbWriteMs)}   | ${f(r.journalOpenMs)}    | ${f(r.lowdbOpenMs)}`);
  const first = rows[0]!;
  const last = rows[rows.length - 1]!;
  if (rows.length > 1) {
    const journalGrowth = last.journalPerWriteMs / first.journalPerWriteMs;
    console.log(`journal write cost, ${last.plans} ÷ ${first.plans} plans: ${journalGrowth.toFixed(2)}× (mostly the fdatasync, whose cost varies with the disk, not with the plans)`);
    console.log(`lowdb write cost, ${last.plans} ÷ ${first.plans} plans: ${(last.lowdbWriteMs / first.lowdbWriteMs).toFixed(1)}×`);
    console.log(`at ${last.plans} plans, lowdb ÷ journal per write: ${(last.lowdbWriteMs / last.journalPerWriteMs).toFixed(1)}×`);
  }
}

await main();
