import { randomBytes } from "node:crypto";
import pg from "pg";
import { requirementMet } from "./environment-requirement.js";

/**
 * The server the PostgreSQL tests use (trust authentication): `PLANROOM_TEST_POSTGRES_URL`, by
 * default the local server's `test` database. Each test file creates its own database there and
 * drops it afterwards.
 */
const ADMIN_URL = process.env.PLANROOM_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** Why PostgreSQL cannot be used, or undefined when it can. */
async function unreachable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3_000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return undefined;
  } catch (error) {
    return `PostgreSQL is not reachable at ${ADMIN_URL} (${error instanceof Error ? error.message : String(error)})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Whether the PostgreSQL tests can run: a one-line reason is printed and they are skipped when the
 * server is not reachable, or the run fails under `PLANROOM_REQUIRE_ALL=1`.
 */
export async function postgresAvailable(what: string): Promise<boolean> {
  const reason = await unreachable();
  return requirementMet(what, reason === undefined, reason ?? "");
}

/** A database of one test file. */
export interface TestDatabase {
  /** Its connection string. */
  url: string;
  /** Its name. */
  name: string;
  /** Runs one statement on it, on a connection of its own. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  /** Runs one statement on the test server's own database (for what cannot be done from inside this one, e.g. letting connections in again). */
  adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  /** Drops it, ending every connection still open to it. */
  drop(): Promise<void>;
}

async function connected<T>(connectionString: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates a fresh, empty database `planroom_test_<random>` on the test server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `planroom_test_${randomBytes(6).toString("hex")}`;
  await connected(ADMIN_URL, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    adminQuery: <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => connected(ADMIN_URL, async (client) => (await client.query<R>(text, values)).rows),
    query: <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => connected(url.toString(), async (client) => (await client.query<R>(text, values)).rows),
    drop: () => connected(ADMIN_URL, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
