/**
 * `npm run bench:cluster`: several nodes on one PostgreSQL database, each figure a ratio against a
 * baseline measured in the same run, each part on a fresh database dropped afterwards:
 *
 * 1. durable events/s through the PostgreSQL store (100 writers, 10-event batches) ÷ a raw INSERT
 *    of the same rows (8 connections, 10 rows per transaction) — target ≥ 5,000 events/s;
 * 2. vote → `plan.approved` at every member, 3 nodes ÷ 1 node — target p99 ≤ 50 ms;
 * 3. fan-out to 300 reviewer sockets from 10 plans, 3 nodes ÷ 1 node — targets deliveries/s ≥ 0.7×
 *    and p99 ≤ 2×.
 */
import { createTestDatabase, postgresAvailable } from "../test/support/postgres-database.js";
import { approvalsPart } from "./cluster-approvals.js";
import { fanoutPart } from "./cluster-fanout.js";
import { storePart } from "./cluster-store.js";

const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
const ms = (n: number): string => `${n.toFixed(1)} ms`;
const verdict = (ok: boolean): string => (ok ? "met" : "MISSED");

/** Runs `part` on a database of its own, dropped afterwards. */
async function onFreshDatabase<T>(part: (url: string) => Promise<T>): Promise<T> {
  const database = await createTestDatabase();
  try {
    return await part(database.url);
  } finally {
    await database.drop();
  }
}

if (!(await postgresAvailable("bench:cluster"))) process.exit(0);

const store = await onFreshDatabase(storePart);
const approvals1 = await onFreshDatabase((url) => approvalsPart(url, 1));
const approvals3 = await onFreshDatabase((url) => approvalsPart(url, 3));
const fanout1 = await onFreshDatabase((url) => fanoutPart(url, 1));
const fanout3 = await onFreshDatabase((url) => fanoutPart(url, 3));

const deliveriesRatio = fanout3.deliveriesPerSecond / fanout1.deliveriesPerSecond;
const fanoutP99Ratio = fanout3.p99 / fanout1.p99;
const rows: string[][] = [
  ["", "measured", "baseline", "ratio", "target"],
  [
    `store: durable events/s, 100 writers (${fmt(store.events)} events)`,
    `${fmt(store.storeRate)}/s`,
    `raw INSERT ${fmt(store.rawRate)}/s`,
    (store.storeRate / store.rawRate).toFixed(2),
    `≥ 5,000/s ${verdict(store.storeRate >= 5_000)}`,
  ],
  [
    `vote → plan.approved at ${approvals3.arrivals / 100} members, 3 nodes: p50 / p99`,
    `${ms(approvals3.p50)} / ${ms(approvals3.p99)}`,
    `1 node ${ms(approvals1.p50)} / ${ms(approvals1.p99)}`,
    `${(approvals3.p50 / approvals1.p50).toFixed(2)} / ${(approvals3.p99 / approvals1.p99).toFixed(2)}`,
    `p99 ≤ 50 ms ${verdict(approvals3.p99 <= 50)}`,
  ],
  [
    `fan-out, 300 sockets, 10 plans, 3 nodes: deliveries/s (offered ${fmt(fanout3.offeredPerSecond)}/s)`,
    `${fmt(fanout3.deliveriesPerSecond)}/s`,
    `1 node ${fmt(fanout1.deliveriesPerSecond)}/s`,
    deliveriesRatio.toFixed(2),
    `≥ 0.7× ${verdict(deliveriesRatio >= 0.7)}`,
  ],
  [
    "fan-out, 3 nodes: commit → receipt p50 / p99 (max)",
    `${ms(fanout3.p50)} / ${ms(fanout3.p99)} (${ms(fanout3.max)})`,
    `1 node ${ms(fanout1.p50)} / ${ms(fanout1.p99)} (${ms(fanout1.max)})`,
    `${(fanout3.p50 / fanout1.p50).toFixed(2)} / ${fanoutP99Ratio.toFixed(2)}`,
    `p99 ≤ 2× ${verdict(fanoutP99Ratio <= 2)}`,
  ],
];
const widths = [0, 1, 2, 3, 4].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
console.log("several nodes on one PostgreSQL database\n");
for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd());
