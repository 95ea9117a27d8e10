import pg from "pg";
import { RateLimiterMemory, RateLimiterPostgres } from "rate-limiter-flexible";
import { PlanroomError } from "../../shared/index.js";
import { limiterRateBudget, type RateBudget, type RateLimitSettings } from "./rate-budget.js";

/** Where a {@link postgresRateBudget} keeps its counts: a pool of the caller's, or a database to open a pool of its own on. */
type PostgresRateBudgetConnection = { pool: pg.Pool } | { connectionString: string };

/** Options of {@link postgresRateBudget}. */
export type PostgresRateBudgetOptions = PostgresRateBudgetConnection & {
  /** The table of this budget's counts (created when missing): a lower-case SQL identifier, one per budget. */
  tableName: string;
  /**
   * For a pool of its own: how long a query may take (and a connection may take to open) before
   * the budget answers from its insurance limiter instead (default 1,000 ms).
   */
  timeoutMs?: number;
  /** For a pool of its own: told of errors of its idle connections. */
  onError?: (error: Error) => void;
};

/** A {@link RateBudget} on PostgreSQL: ready once its table exists, closed with the server. */
export interface PostgresRateBudget extends RateBudget {
  /** Resolves once the table exists (created if missing), rejects when the database cannot be reached to create it. */
  readonly ready: Promise<void>;
  /** Closes the pool it opened itself (a pool passed in is the caller's to close). */
  close(): Promise<void>;
}

const TABLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const DEFAULT_TIMEOUT_MS = 1_000;

/** What a pool of rate budgets is opened with. */
interface RateBudgetPoolOptions {
  /** How long a query, or opening a connection, may take (default 1,000 ms). */
  timeoutMs?: number;
  /** Connections (default 8). */
  maxConnections?: number;
  /** Told of errors of idle pooled connections (without a handler they would crash the process). */
  onError?: (error: Error) => void;
}

/**
 * A pool for rate budgets: queries and connection attempts time out after `timeoutMs`, so that a
 * database that does not answer turns into the insurance limiter's answer rather than a request
 * that waits.
 */
export function rateBudgetPool(connectionString: string, options: RateBudgetPoolOptions = {}): pg.Pool {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const pool = new pg.Pool({ connectionString, max: options.maxConnections ?? 8, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  pool.on("error", (error) => options.onError?.(error));
  return pool;
}

/**
 * The window of `burst / perSecond` seconds in seconds whose milliseconds are whole: the limiter
 * stores `now + duration × 1000` in a bigint column, and a fractional product would make every
 * query fail. It is the first whole millisecond count at or above the window (at most a few ms
 * longer), so the budget is never more generous than the memory one.
 */
function wholeMillisecondWindow(settings: RateLimitSettings): number {
  let ms = Math.max(1, Math.ceil((settings.burst / settings.perSecond) * 1_000));
  while ((ms / 1_000) * 1_000 !== ms) ms++;
  return ms / 1_000;
}

/**
 * A {@link RateBudget} kept in PostgreSQL (rate-limiter-flexible's `RateLimiterPostgres`), for
 * several servers on one database: a key's units are counted in one table row that every server
 * updates, so a client spreading its sockets and requests over the servers gets one budget, not
 * one per server. The semantics are the memory budget's ({@link memoryRateBudget}): fixed windows
 * of `burst / perSecond` seconds (rounded up to a whole millisecond), `burst` units each, a refusal
 * saying how long to wait (at least 1 ms). Windows are timed by each server's clock, so the servers'
 * clocks should agree (NTP) to the window's precision.
 *
 * When the database fails (unreachable, too slow: `timeoutMs`), each consume is answered by an
 * insurance limiter in this process's memory with the same settings: during an outage the limits
 * hold per server rather than refusing everyone, and the shared counts resume when the database
 * answers again. Consumes before the table exists ({@link PostgresRateBudget.ready}) are answered
 * by the insurance limiter too.
 */
export function postgresRateBudget(settings: RateLimitSettings, options: PostgresRateBudgetOptions): PostgresRateBudget {
  if (!TABLE_NAME.test(options.tableName)) throw new PlanroomError("VALIDATION", `rate budget table name ${JSON.stringify(options.tableName)}: use lower-case letters, digits and _ (at most 63), not starting with a digit`);
  const own = "connectionString" in options;
  const pool = own ? rateBudgetPool(options.connectionString, options) : options.pool;
  const points = settings.burst;
  const duration = wholeMillisecondWindow(settings);
  const ready = createTable(pool, options.tableName);
  // Nobody may have to wait for it: a failure is the caller's to see through `ready`.
  ready.catch(() => undefined);
  const limiter = new RateLimiterPostgres({
    storeClient: pool,
    storeType: "pool",
    tableName: options.tableName,
    tableCreated: true,
    keyPrefix: "",
    points,
    duration,
    insuranceLimiter: new RateLimiterMemory({ points, duration, keyPrefix: "" }),
  });
  const budget = limiterRateBudget(limiter);
  let closed: Promise<void> | undefined;
  return {
    consume: (key) => budget.consume(key),
    ready,
    close: () => (closed ??= own ? pool.end() : Promise.resolve()),
  };
}

/**
 * Creates the budget's table if it is missing, under a transaction-scoped advisory lock: nodes that
 * start together on a fresh database would otherwise race in `CREATE TABLE IF NOT EXISTS`, which
 * PostgreSQL does not make safe (the loser fails with 42710 or 23505). The columns are the ones
 * rate-limiter-flexible's PostgreSQL limiter reads and writes (it is told the table exists).
 */
async function createTable(pool: pg.Pool, tableName: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`planroom rate budget ${tableName}`]);
    await client.query(`CREATE TABLE IF NOT EXISTS "${tableName}" (key varchar(255) PRIMARY KEY, points integer NOT NULL DEFAULT 0, expire bigint)`);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
