import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { PlanroomError } from "../../../shared/index.js";
import { createFileStore } from "../../../server/store/file/file-store.js";
import { createMemoryStore } from "../../../server/store/memory-store.js";
import { createPostgresStore } from "../../../server/store/postgres/postgres-store.js";
import type { Store } from "../../../server/store/store.js";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "../../support/postgres-database.js";

/** How lease time passes for a store: an injected clock moved by the test, or the database's real clock. */
interface LeaseTime {
  /** The TTL the lease tests grant with. */
  ttlMs: number;
  /** The current time of the clock leases expire on (ms). */
  now(): number;
  /** Lets `ms` pass (moves the injected clock; waits, on a real clock). */
  pass(ms: number): Promise<void>;
  /** Lets every lease granted so far with {@link ttlMs} expire, until `check` holds (fails if it never does). */
  expire(what: string, check: () => Promise<boolean>): Promise<void>;
}

/** How a suite gets a store and simulates a restart. */
export interface Harness {
  name: string;
  create(): Promise<Store>;
  /** A second writer on the same data: another store object on the database (PostgreSQL), else the same store. */
  peer(store: Store): Promise<Store>;
  restart(store: Store): Promise<Store>;
  time: LeaseTime;
  cleanup(): Promise<void>;
  /** After the suite (e.g. drops its database). */
  dispose?(): Promise<void>;
  /** The suite cannot run here (the reason was printed). */
  skip?: boolean;
}

/** Lease time on an injected clock: expiry happens exactly when the test moves it. */
function injectedTime(): { clock: () => number; time: LeaseTime } {
  let now = 1_700_000_000_000;
  const ttlMs = 1_000;
  return {
    clock: () => now,
    time: {
      ttlMs,
      now: () => now,
      async pass(ms) {
        now += ms;
      },
      async expire(what, check) {
        now += ttlMs + 1;
        if (!(await check())) throw new Error(`not after expiry: ${what}`);
      },
    },
  };
}

function memoryHarness(): Harness {
  const { clock, time } = injectedTime();
  return {
    name: "memory store",
    async create() {
      const store = createMemoryStore({ clock });
      await store.open();
      return store;
    },
    async peer(store) {
      return store;
    },
    async restart(store) {
      await store.close();
      await store.open();
      return store;
    },
    time,
    async cleanup() {},
  };
}

function fileHarness(): Harness {
  const { clock, time } = injectedTime();
  const dirs: string[] = [];
  let dir = "";
  return {
    name: "file store",
    async create() {
      dir = await mkdtemp(join(tmpdir(), "planroom-store-"));
      dirs.push(dir);
      const store = createFileStore({ dir, clock });
      await store.open();
      return store;
    },
    async peer(store) {
      return store;
    },
    async restart(store) {
      await store.close();
      const next = createFileStore({ dir, clock });
      await next.open();
      return next;
    },
    time,
    async cleanup() {
      for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
    },
  };
}

/** The database clock: real time, with a TTL long enough that a check right after a grant is still before its expiry. */
const realTime: LeaseTime = {
  ttlMs: 1_000,
  now: () => Date.now(),
  pass: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  async expire(what, check) {
    const deadline = Date.now() + 10_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  },
};

const hasPostgres = await postgresAvailable("PostgreSQL store contract tests");

/** One database for the suite; every test starts with empty tables. */
function postgresHarness(): Harness {
  let database: TestDatabase | undefined;
  const peers: Store[] = [];
  const open = async (): Promise<Store> => {
    database ??= await createTestDatabase();
    const store = createPostgresStore({ connectionString: database.url, maxConnections: 4 });
    await store.open();
    return store;
  };
  return {
    name: "PostgreSQL store",
    skip: !hasPostgres,
    create: open,
    async peer() {
      const store = await open();
      peers.push(store);
      return store;
    },
    async restart(store) {
      await store.close();
      return open();
    },
    time: realTime,
    async cleanup() {
      for (const store of peers.splice(0)) await store.close().catch(() => undefined);
      await database?.query("TRUNCATE plans, plan_events, plan_snapshots, documents");
    },
    async dispose() {
      await database?.drop();
    },
  };
}

/** The stores every contract test runs against. */
export const harnesses: (() => Harness)[] = [memoryHarness, fileHarness, postgresHarness];

/** The PlanroomError a promise rejects with (fails the test if it resolves or rejects otherwise). */
export async function rejection(promise: Promise<unknown>): Promise<PlanroomError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PlanroomError);
  return error as PlanroomError;
}
