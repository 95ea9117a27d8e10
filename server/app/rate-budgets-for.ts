import type { Logger } from "../runtime/logger.js";
import { postgresRateBudget, rateBudgetPool } from "../transport/postgres-rate-budget.js";
import { memoryRateBudget, type RateBudgets } from "../transport/rate-budget.js";
import type { ServerConfig } from "./config.js";

/** A server's rate budgets, with what their backend needs at start and at close. */
export interface ServerRateBudgets {
  budgets: RateBudgets;
  /** Resolves once the backend can count (its tables exist); rejects when it cannot be reached. */
  ready(): Promise<void>;
  /** Lets go of the backend's connections. */
  close(): Promise<void>;
}

/** The tables of the shared budgets, one per budget. */
const TABLES = { principals: "planroom_rate_principals", addresses: "planroom_rate_addresses" } as const;

/** What {@link rateBudgetsFor} reads besides the configuration. */
interface RateBudgetSources {
  /** Budgets passed in by code: used as they are (their owner closes them). */
  rateBudgets?: RateBudgets | undefined;
  /** The server's store option: a PostgreSQL URL there is where the budgets are counted too, unless `rateLimitStore` says otherwise. */
  store?: object | string | undefined;
  log: Logger;
}

/** The database the budgets are counted in: `rateLimitStore`, else a PostgreSQL store URL, else none (memory). */
function sharedDatabase(config: Pick<ServerConfig, "rateLimitStore">, store: object | string | undefined): string | undefined {
  if (config.rateLimitStore) return config.rateLimitStore.connectionString;
  return typeof store === "string" && /^postgres(ql)?:\/\//.test(store) ? store : undefined;
}

/**
 * The rate budgets a server consumes from (`rateLimit` per principal, `handshakeLimit` per
 * address): those passed in; else, with a PostgreSQL database to count in (`rateLimitStore`, or a
 * PostgreSQL URL as the store), budgets shared by every server on that database, on one pool
 * (see {@link postgresRateBudget}: a database outage falls back to per-server limits); else budgets
 * in this process's memory.
 */
export function rateBudgetsFor(config: Pick<ServerConfig, "rateLimit" | "handshakeLimit" | "rateLimitStore">, sources: RateBudgetSources): ServerRateBudgets {
  if (sources.rateBudgets) return { budgets: sources.rateBudgets, ready: () => Promise.resolve(), close: () => Promise.resolve() };
  const database = sharedDatabase(config, sources.store);
  if (database === undefined) {
    return { budgets: { principals: memoryRateBudget(config.rateLimit), addresses: memoryRateBudget(config.handshakeLimit) }, ready: () => Promise.resolve(), close: () => Promise.resolve() };
  }
  const pool = rateBudgetPool(database, { onError: (error) => sources.log.warn(`rate limit store: ${error.message}`) });
  const principals = postgresRateBudget(config.rateLimit, { pool, tableName: TABLES.principals });
  const addresses = postgresRateBudget(config.handshakeLimit, { pool, tableName: TABLES.addresses });
  let closed: Promise<void> | undefined;
  return {
    budgets: { principals, addresses },
    ready: async () => {
      try {
        await Promise.all([principals.ready, addresses.ready]);
      } catch (error) {
        throw new Error(`the rate limit store cannot be reached: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
    },
    close: () => (closed ??= pool.end()),
  };
}
