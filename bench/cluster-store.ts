/**
 * Part 1 of `bench:cluster`: durable events/s through `createPostgresStore` with 100 concurrent
 * writers (one plan each, batches of 10 events, one batch in flight per plan), against a raw
 * INSERT of the same rows into a table of the same shape (8 connections, one INSERT of 10 rows
 * per transaction), on the same database in the same run.
 */
import pg from "pg";
import type { PlanEvent } from "../shared/index.js";
import { createPostgresStore } from "../server/store/postgres/postgres-store.js";
import { PlanEvents } from "../test/server/store/plan-events.js";

const WRITERS = 100;
const BATCH = 10;
/** Batches per writer after its first (the submission and 9 votes). */
const BATCHES = 30;
const RAW_CONNECTIONS = 8;

/** The figures of part 1. */
export interface StoreFigures {
  storeRate: number;
  rawRate: number;
  events: number;
}

/** The batches of `writers` plans: each plan's first batch is its submission and 9 votes. */
function batchesOf(prefix: string): PlanEvent[][][] {
  return Array.from({ length: WRITERS }, (_, w) => {
    const p = new PlanEvents(`${prefix}-${w}`);
    const batches: PlanEvent[][] = [[p.submitted(), ...Array.from({ length: BATCH - 1 }, (_, i) => p.vote(`rev-${i}`))]];
    for (let b = 0; b < BATCHES; b++) batches.push(Array.from({ length: BATCH }, (_, i) => p.vote(`rev-${i}`)));
    return batches;
  });
}

async function storeRun(url: string): Promise<number> {
  const store = createPostgresStore({ connectionString: url, onError: () => undefined });
  await store.open();
  try {
    const writers = batchesOf("store");
    const start = performance.now();
    await Promise.all(
      writers.map(async (batches) => {
        for (const batch of batches) await store.append(batch);
      }),
    );
    const seconds = (performance.now() - start) / 1_000;
    return (WRITERS * (BATCHES + 1) * BATCH) / seconds;
  } finally {
    await store.close();
  }
}

async function rawRun(url: string): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: RAW_CONNECTIONS });
  pool.on("error", () => undefined);
  try {
    await pool.query(`CREATE TABLE raw_events (
      plan_id text COLLATE "C" NOT NULL, seq bigint NOT NULL, type text NOT NULL, body json NOT NULL,
      lease_epoch bigint, created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (plan_id, seq))`);
    const writers = batchesOf("raw");
    // Round by round, every writer's next batch: the same order of rows as the store run sees.
    const queue: PlanEvent[][] = [];
    for (let b = 0; b <= BATCHES; b++) for (const batches of writers) queue.push(batches[b]!);
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: RAW_CONNECTIONS }, async () => {
        for (;;) {
          const batch = queue[next++];
          if (!batch) return;
          const values: unknown[] = [];
          const rows = batch.map((e, i) => {
            values.push(e.planId, e.seq, e.type, JSON.stringify(e));
            return `($${i * 4 + 1}, $${i * 4 + 2}, $${i * 4 + 3}, $${i * 4 + 4}::json)`;
          });
          await pool.query(`INSERT INTO raw_events (plan_id, seq, type, body) VALUES ${rows.join(", ")}`, values);
        }
      }),
    );
    const seconds = (performance.now() - start) / 1_000;
    return queue.length * BATCH / seconds;
  } finally {
    await pool.end();
  }
}

/** Runs the store, then the raw baseline, on the database at `url`. */
export async function storePart(url: string): Promise<StoreFigures> {
  const storeRate = await storeRun(url);
  const rawRate = await rawRun(url);
  return { storeRate, rawRate, events: WRITERS * (BATCHES + 1) * BATCH };
}
