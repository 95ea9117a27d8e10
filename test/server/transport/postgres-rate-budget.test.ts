import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { postgresRateBudget, type PostgresRateBudget } from "../../../server/transport/postgres-rate-budget.js";
import type { RateBudget, RateVerdict } from "../../../server/transport/rate-budget.js";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "../../support/postgres-database.js";

const hasPostgres = await postgresAvailable("PostgreSQL rate budget tests");

/** A port nothing listens on: connections are refused at once. */
const UNREACHABLE = "postgres://postgres@127.0.0.1:1/test";

/** `n` consumes of `key`, one after another, alternating over `budgets`. */
async function consumeAlternately(budgets: readonly RateBudget[], key: string, n: number): Promise<RateVerdict[]> {
  const verdicts: RateVerdict[] = [];
  for (let i = 0; i < n; i++) verdicts.push(await budgets[i % budgets.length]!.consume(key));
  return verdicts;
}

const granted = (verdicts: readonly RateVerdict[]) => verdicts.filter((v) => v.ok).length;

describe("postgresRateBudget without a database", () => {
  it("answers from its insurance limiter, with the memory budget's semantics, when the database is unreachable: no rejection", async () => {
    const budget = postgresRateBudget({ burst: 2, perSecond: 1 }, { connectionString: UNREACHABLE, tableName: "planroom_rate_test", timeoutMs: 500 });
    try {
      await expect(budget.ready).rejects.toThrow();
      const verdicts = await consumeAlternately([budget], "principal:p", 3);
      expect(verdicts.slice(0, 2)).toEqual([{ ok: true }, { ok: true }]);
      const refused = verdicts[2]!;
      expect(refused.ok).toBe(false);
      if (!refused.ok) {
        expect(refused.retryAfterMs).toBeGreaterThanOrEqual(1);
        expect(refused.retryAfterMs).toBeLessThanOrEqual(2_000);
      }
      expect(await budget.consume("principal:other")).toEqual({ ok: true });
    } finally {
      await budget.close();
    }
  });

  it("refuses a table name that is not a plain lower-case identifier", () => {
    expect(() => postgresRateBudget({ burst: 1, perSecond: 1 }, { connectionString: UNREACHABLE, tableName: 'x"; DROP TABLE plans; --' })).toThrow(expect.objectContaining({ code: "VALIDATION" }));
  });
});

describe.skipIf(!hasPostgres)("postgresRateBudget on one database (two nodes)", () => {
  let database: TestDatabase;
  const opened: PostgresRateBudget[] = [];
  let table = 0;

  /** Two budgets ("nodes"), each on a pool of its own, on one new table of the test database. */
  async function twoNodes(settings: { burst: number; perSecond: number }): Promise<[PostgresRateBudget, PostgresRateBudget]> {
    const tableName = `planroom_rate_test_${++table}`;
    const nodes = [postgresRateBudget(settings, { connectionString: database.url, tableName }), postgresRateBudget(settings, { connectionString: database.url, tableName })] as const;
    opened.push(...nodes);
    await Promise.all(nodes.map((n) => n.ready));
    return [nodes[0], nodes[1]];
  }

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterEach(async () => {
    for (const budget of opened.splice(0)) await budget.close();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it("limits one key to one burst across both nodes, then answers RATE_LIMITED with the wait; another key has its own", async () => {
    const [a, b] = await twoNodes({ burst: 5, perSecond: 0.5 });
    const verdicts = await consumeAlternately([a, b], "principal:agent-1", 8);
    expect(granted(verdicts)).toBe(5);
    expect(verdicts.slice(0, 5).every((v) => v.ok)).toBe(true);
    for (const refused of verdicts.slice(5)) {
      expect(refused.ok).toBe(false);
      if (!refused.ok) {
        expect(refused.retryAfterMs).toBeGreaterThanOrEqual(1);
        expect(refused.retryAfterMs).toBeLessThanOrEqual(10_000);
      }
    }
    expect(await b.consume("principal:rev-1")).toEqual({ ok: true });
    const rows = await database.query<{ key: string; points: number }>(`SELECT key, points FROM planroom_rate_test_${table} ORDER BY key`);
    expect(rows).toEqual([
      { key: "principal:agent-1", points: 8 },
      { key: "principal:rev-1", points: 1 },
    ]);
  });

  it("grants exactly the burst to consumes racing on both nodes at once", async () => {
    const [a, b] = await twoNodes({ burst: 7, perSecond: 0.5 });
    const verdicts = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).consume("principal:racer")));
    expect(granted(verdicts)).toBe(7);
  });

  it("counts in the database with a window that is not a whole number of milliseconds (5 / 3 s)", async () => {
    // Were the window's bigint expiry refused, each node would count alone in its insurance limiter and grant 5 of its own.
    const [a, b] = await twoNodes({ burst: 5, perSecond: 3 });
    const first = await Promise.all([a.consume("k"), a.consume("k"), a.consume("k")]);
    const second = await Promise.all([b.consume("k"), b.consume("k"), b.consume("k")]);
    expect(granted([...first, ...second])).toBe(5);
  });

  it("gives the burst back once the window has passed", async () => {
    // Windows of 2 / 10 = 0.2 s.
    const [a, b] = await twoNodes({ burst: 2, perSecond: 10 });
    const spent = await consumeAlternately([a, b], "k", 3);
    expect(granted(spent)).toBe(2);
    const refused = spent[2]!;
    expect(refused.ok).toBe(false);
    await new Promise((r) => setTimeout(r, refused.ok ? 0 : refused.retryAfterMs + 20));
    expect(granted(await consumeAlternately([b, a], "k", 2))).toBe(2);
  });

  it("falls back to per-node limits when its pool can no longer reach the database, rather than refusing everyone", async () => {
    const pool = new pg.Pool({ connectionString: database.url });
    const budget = postgresRateBudget({ burst: 3, perSecond: 0.5 }, { pool, tableName: `planroom_rate_test_${++table}` });
    await budget.ready;
    expect(await budget.consume("k")).toEqual({ ok: true });
    await pool.end();
    // The insurance limiter counts on its own from here: a full burst of its own, then a refusal, never a rejected promise.
    const verdicts = await consumeAlternately([budget], "k", 4);
    expect(verdicts.map((v) => v.ok)).toEqual([true, true, true, false]);
    await budget.close();
  });
});
