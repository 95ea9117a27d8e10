import pg from "pg";
import { PlanroomError } from "../../shared/index.js";
import { migrate } from "../store/postgres/migrations.js";
import { loadConfig } from "./config.js";
import { isConnectionError } from "../store/postgres/connection-health.js";
import { checkStoreUrl, maskStoreUrl, storeHost } from "./store-url.js";

/** Where {@link migrateStore} finds its database. */
export interface MigrateStoreOptions {
  /** The `--store` URL; wins over the environment and the configuration file. */
  store?: string | undefined;
  /** The `--config` file (else `PLANROOM_CONFIG`), whose `store` is used when nothing else names one. */
  config?: string | undefined;
  /** `PLANROOM_DATABASE_URL`, `PLANROOM_CONFIG`. */
  env: NodeJS.ProcessEnv;
}

/** What {@link migrateStore} did. */
export interface MigrateStoreResult {
  /** The database, its password masked. */
  store: string;
  /** The schema versions applied now, in order; empty when the schema was up to date. */
  applied: number[];
}

/**
 * `planroom migrate`: brings the schema of the PostgreSQL database named by `--store`, else
 * `PLANROOM_DATABASE_URL`, else the configuration file's `store`, up to date (what a node also does
 * when it opens its store). No URL, or one that is not PostgreSQL's, is a `VALIDATION` error; a
 * database that cannot be reached is `UNREACHABLE`, naming its host and the error.
 */
export async function migrateStore(options: MigrateStoreOptions): Promise<MigrateStoreResult> {
  const config = await loadConfig({ flags: { store: options.store, config: options.config }, env: options.env });
  if (config.store === undefined) throw new PlanroomError("VALIDATION", "no store to migrate: pass --store postgres://user@host:5432/database, set PLANROOM_DATABASE_URL, or set store in the configuration file (--config)");
  const url = checkStoreUrl(config.store);
  const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 10_000 });
  pool.on("error", () => undefined);
  try {
    return { store: maskStoreUrl(url), applied: await migrate(pool) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (isConnectionError(error) || (error as { code?: unknown }).code === "3D000" || (error as { code?: unknown }).code === "28P01") {
      throw new PlanroomError("UNREACHABLE", `cannot reach PostgreSQL at ${storeHost(url)}: ${message || String((error as { code?: unknown }).code)}`);
    }
    throw new PlanroomError("INTERNAL", `migrating ${maskStoreUrl(url)} failed: ${message}`);
  } finally {
    await pool.end().catch(() => undefined);
  }
}
