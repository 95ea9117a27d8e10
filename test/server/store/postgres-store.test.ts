import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PlanroomError } from "../../../shared/index.js";
import { createPostgresStore } from "../../../server/store/postgres/postgres-store.js";
import type { Store } from "../../../server/store/store.js";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "../../support/postgres-database.js";
import { PlanEvents } from "./plan-events.js";

const hasPostgres = await postgresAvailable("PostgreSQL store tests");

/** What PostgreSQL adds to the store contract: several processes (here, pools) on one database. */
describe.skipIf(!hasPostgres)("PostgreSQL store", () => {
  let database: TestDatabase;
  const stores: Store[] = [];

  async function openStore(): Promise<Store> {
    const store = createPostgresStore({ connectionString: database.url, maxConnections: 3 });
    stores.push(store);
    await store.open();
    return store;
  }

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close().catch(() => undefined);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it("applies the schema migrations once when two stores open a new database at the same time", async () => {
    const fresh = await createTestDatabase();
    try {
      const [a, b] = [createPostgresStore({ connectionString: fresh.url }), createPostgresStore({ connectionString: fresh.url })];
      stores.push(a, b);
      await Promise.all([a.open(), b.open()]);
      const applied = await fresh.query<{ version: number; n: number }>("SELECT version, count(*)::int AS n FROM planroom_migrations GROUP BY version ORDER BY version");
      expect(applied.length).toBeGreaterThan(0);
      expect(applied.every((m) => m.n === 1)).toBe(true);
      // both work on the one schema; opening again applies nothing new
      const p = new PlanEvents("shared");
      await a.append([p.submitted()]);
      await b.append([p.vote()]);
      expect((await a.readEvents("shared")).map((e) => e.seq)).toEqual([1, 2]);
      await a.close();
      await a.open();
      expect(await fresh.query("SELECT version FROM planroom_migrations")).toHaveLength(applied.length);
    } finally {
      for (const store of stores.splice(0)) await store.close().catch(() => undefined);
      await fresh.drop();
    }
  });

  it("lets exactly one of two stores' racing appends of the same seq commit; the other gets CONFLICT and stores nothing", async () => {
    const [a, b] = await Promise.all([openStore(), openStore()]);
    const rounds = 20;
    for (let round = 0; round < rounds; round++) {
      const planId = `race-${round}`;
      const p = new PlanEvents(planId);
      await a.append([p.submitted()]);
      const fromA = p.vote("rev-a");
      p.seq--; // the same seq again, from the other writer
      const fromB = p.vote("rev-b");
      const results = await Promise.allSettled([a.append([fromA]), b.append([fromB])]);
      const won = results.filter((r) => r.status === "fulfilled");
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]!.reason).toBeInstanceOf(PlanroomError);
      expect((lost[0]!.reason as PlanroomError).code).toBe("CONFLICT");
      const stored = await b.readEvents(planId);
      const aWon = results[0].status === "fulfilled";
      expect(stored).toEqual([expect.anything(), aWon ? fromA : fromB]);
      // the loser catches up and continues from the stored head
      const loser = aWon ? b : a;
      p.seq = 2;
      await loser.append([p.vote("rev-c")]);
      expect((await a.readEvents(planId)).map((e) => e.seq)).toEqual([1, 2, 3]);
    }
    const rows = await database.query<{ plan_id: string; head_seq: number; n: number }>(
      "SELECT p.plan_id, p.head_seq::int, count(e.seq)::int AS n FROM plans p JOIN plan_events e USING (plan_id) WHERE p.plan_id LIKE 'race-%' GROUP BY p.plan_id, p.head_seq",
    );
    expect(rows).toHaveLength(rounds);
    expect(rows.every((r) => r.head_seq === 3 && r.n === 3)).toBe(true);
  });

  it("keeps all events of six writers racing on one plan through two stores, each retrying from the head after a CONFLICT", async () => {
    const [a, b] = await Promise.all([openStore(), openStore()]);
    const planId = "many-writers";
    const p = new PlanEvents(planId);
    await a.append([p.submitted()]);
    let conflicts = 0;
    const writer = async (store: Store, name: string, count: number): Promise<void> => {
      for (let i = 0; i < count; ) {
        const head = (await store.readEvents(planId)).length;
        const events = new PlanEvents(planId);
        events.seq = head;
        try {
          await store.append([events.vote(`${name}-${i}`)]);
          i++;
        } catch (error) {
          if (!(error instanceof PlanroomError) || error.code !== "CONFLICT") throw error;
          conflicts++;
        }
      }
    };
    await Promise.all([0, 1, 2, 3, 4, 5].map((w) => writer(w % 2 === 0 ? a : b, `w${w}`, 15)));
    const seqs = (await b.readEvents(planId)).map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: 91 }, (_, i) => i + 1));
    expect(conflicts).toBeGreaterThan(0);
    const [row] = await database.query<{ head_seq: number; seq: number }>(
      "SELECT head_seq::int, (list_row->>'seq')::int AS seq FROM plans WHERE plan_id = $1",
      [planId],
    );
    expect(row).toEqual({ head_seq: 91, seq: 91 });
  });

  it("fences a store's appends once another store took the lease over, and refuses a lease held through another store", async () => {
    const [a, b] = await Promise.all([openStore(), openStore()]);
    const p = new PlanEvents("fenced");
    await a.append([p.submitted()]);
    const first = await a.acquireLease("fenced", "node-a");
    await expect(b.acquireLease("fenced", "node-b")).rejects.toMatchObject({ code: "CONFLICT" });
    await a.append([p.vote("r1")], { lease: { owner: "node-a", epoch: first.epoch } });
    await a.releaseLease("fenced", "node-a");
    const second = await b.acquireLease("fenced", "node-b");
    expect(second.epoch).toBe(first.epoch + 1);
    const late = p.vote("r2");
    await expect(a.append([late], { lease: { owner: "node-a", epoch: first.epoch } })).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringContaining("lease") });
    await b.append([late], { lease: { owner: "node-b", epoch: second.epoch } });
    expect((await a.readEvents("fenced")).map((e) => e.seq)).toEqual([1, 2, 3]);
    // closing a store frees the leases granted through it, and only those
    await b.close();
    expect(await a.acquireLease("fenced", "node-a")).toEqual({ epoch: second.epoch + 1, head: 3 });
  });

  it("refuses calls before open and after close, and opens again", async () => {
    const store = createPostgresStore({ connectionString: database.url });
    stores.push(store);
    await expect(store.readEvents("x")).rejects.toMatchObject({ code: "INVALID_STATE" });
    await store.open();
    await store.setDocument("doc", { a: 1 });
    await store.close();
    await expect(store.getDocument("doc")).rejects.toMatchObject({ code: "INVALID_STATE" });
    await store.open();
    expect(await store.getDocument("doc")).toEqual({ a: 1 });
  });

  it("fails to open with a clear error when the database does not exist", async () => {
    const url = new URL(database.url);
    url.pathname = "/planroom_test_missing_database";
    const store = createPostgresStore({ connectionString: url.toString() });
    await expect(store.open()).rejects.toMatchObject({ code: "INTERNAL", message: expect.stringContaining("could not open") });
    expect(store.health?.()).toEqual({ writable: false, reason: expect.stringContaining("not open") });
  });
});
