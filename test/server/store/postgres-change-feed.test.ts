import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AppendConflictError } from "../../../server/store/append-conflict.js";
import { createPostgresStore } from "../../../server/store/postgres/postgres-store.js";
import type { FeedCursor, Store } from "../../../server/store/store.js";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "../../support/postgres-database.js";
import { PlanEvents } from "./plan-events.js";

const hasPostgres = await postgresAvailable("PostgreSQL change feed tests");

/** The lossless change feed of the PostgreSQL store: every committed event once, per plan in seq order, never skipping an open transaction. */
describe.skipIf(!hasPostgres)("PostgreSQL change feed", () => {
  let database: TestDatabase;
  const stores: Store[] = [];

  async function openStore(): Promise<Store> {
    const store = createPostgresStore({ connectionString: database.url, maxConnections: 3 });
    stores.push(store);
    await store.open();
    return store;
  }

  /** Reads the feed from `cursor` until it is empty; returns what it read and where it stopped. */
  async function drain(store: Store, cursor: FeedCursor | undefined, into: { planId: string; seq: number }[]): Promise<FeedCursor | undefined> {
    for (;;) {
      const page = await store.readFeed!(cursor, 7);
      into.push(...page.changes);
      if (page.changes.length === 0) return page.cursor;
      cursor = page.cursor;
    }
  }

  async function until(what: string, check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close().catch(() => undefined);
    await database.query("TRUNCATE plans, plan_events, plan_snapshots, documents");
  });
  afterAll(async () => {
    await database?.drop();
  });

  it("gives every event of concurrent writers on six plans exactly once, each plan in seq order, while they write", async () => {
    const writers = await Promise.all([openStore(), openStore(), openStore()]);
    const reader = await openStore();
    const planIds = Array.from({ length: 6 }, (_, i) => `feed-${i}`);
    const start = await reader.feedStart!();
    for (const planId of planIds) await writers[0].append([new PlanEvents(planId).submitted()]);
    const perPlan = 12;
    const write = async (store: Store, planId: string, name: string): Promise<void> => {
      for (let done = 0; done < perPlan; ) {
        const p = new PlanEvents(planId);
        p.seq = (await store.readEvents(planId)).length;
        try {
          await store.append([p.vote(`${name}-${done}`)]);
          done++;
        } catch (error) {
          if (!(error instanceof AppendConflictError) || error.conflict.kind !== "seq") throw error;
        }
      }
    };
    const seen: { planId: string; seq: number }[] = [];
    let writing = true;
    const reading = (async () => {
      let cursor: FeedCursor | undefined = start;
      while (writing) cursor = await drain(reader, cursor, seen);
      return cursor;
    })();
    // two writers per plan, on different store objects
    await Promise.all(planIds.flatMap((planId, i) => [write(writers[i % 3]!, planId, "a"), write(writers[(i + 1) % 3]!, planId, "b")]));
    writing = false;
    let cursor = await reading;
    const total = planIds.length * (1 + 2 * perPlan);
    await until("the feed to catch up", async () => {
      cursor = await drain(reader, cursor, seen);
      return seen.length >= total;
    });
    expect(seen).toHaveLength(total);
    for (const planId of planIds) {
      expect(seen.filter((c) => c.planId === planId).map((c) => c.seq)).toEqual(Array.from({ length: 1 + 2 * perPlan }, (_, i) => i + 1));
    }
    // read again from the start: the same changes (the feed is a log, not a queue)
    const again: { planId: string; seq: number }[] = [];
    await drain(reader, undefined, again);
    expect(new Set(again.map((c) => `${c.planId}:${c.seq}`))).toEqual(new Set(seen.map((c) => `${c.planId}:${c.seq}`)));
  });

  it("holds the feed back behind a transaction left open on another connection rather than skipping its events", async () => {
    const store = await openStore();
    const start = await store.feedStart!();
    const client = new pg.Client({ connectionString: database.url });
    client.on("error", () => undefined);
    await client.connect();
    try {
      // an append left open: its transaction id is older than the one that commits next
      const held = new PlanEvents("held").submitted();
      await client.query("BEGIN");
      await client.query("INSERT INTO plans (plan_id, head_seq, status) VALUES ('held', 1, 'pending_approval')");
      await client.query("INSERT INTO plan_events (plan_id, seq, type, body) VALUES ('held', 1, 'plan.submitted', $1::json)", [JSON.stringify(held)]);
      const later = new PlanEvents("later");
      await store.append([later.submitted(), later.vote()]);
      expect(await store.readEvents("later")).toHaveLength(2);
      const before: { planId: string; seq: number }[] = [];
      const cursor = await drain(store, start, before);
      expect(before.filter((c) => c.planId === "later" || c.planId === "held")).toEqual([]);
      await client.query("COMMIT");
      const after: { planId: string; seq: number }[] = [];
      let next = cursor;
      await until("the feed to move on", async () => {
        next = await drain(store, next, after);
        return after.filter((c) => c.planId === "later").length === 2;
      });
      expect(after.filter((c) => c.planId === "later" || c.planId === "held")).toEqual([
        { planId: "held", seq: 1 },
        { planId: "later", seq: 1 },
        { planId: "later", seq: 2 },
      ]);
    } finally {
      await client.query("ROLLBACK").catch(() => undefined);
      await client.end();
    }
  });
});
