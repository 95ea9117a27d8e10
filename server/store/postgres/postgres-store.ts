import pg from "pg";
import {
  applyToListRow,
  PlanIdSchema,
  planListRowFromSubmitted,
  PlanroomError,
  type ApprovalPolicy,
  type PlanEvent,
  type PlanListItem,
  type PlanState,
  type PlanStatus,
} from "../../../shared/index.js";
import { leaseConflict, seqConflict, type AppendConflictError } from "../append-conflict.js";
import { checkAppend } from "../append-check.js";
import { foldPlan } from "../fold-plan.js";
import { assertQueryLimit, type PlanPage } from "../plan-query.js";
import { checkTtl } from "../lease-table.js";
import { DOCUMENT_KEY, type CancelRequest, type LeaseToken, type Store } from "../store.js";
import { appendStatement } from "./append-statement.js";
import { feedStart, readFeed } from "./change-feed.js";
import { acquireStatement, cancelStatement, orphansStatement, releaseStatement, renewStatement } from "./lease-statements.js";
import { ConnectionHealth, watchConnection } from "./connection-health.js";
import { migrate } from "./migrations.js";
import { planQueryStatement } from "./plan-query-sql.js";

/** Options of {@link createPostgresStore}. */
interface PostgresStoreOptions {
  /** `postgres://user@host:port/database`. */
  connectionString: string;
  /** Connections of the pool (default 10). */
  maxConnections?: number;
  /**
   * Told of errors of idle pooled connections (the server restarted, the connection was cut); the
   * pool replaces such a connection on its next use. Without a handler they would crash the process.
   */
  onError?: (error: Error) => void;
}

/** A plan's list row and policy at a seq, as the last append of this store left them. */
interface RowAt {
  seq: number;
  row: PlanListItem;
  policy: ApprovalPolicy;
  autoExecute: boolean;
}

/** How many plans' list rows are kept between appends (a miss costs one read). */
const ROW_CACHE_SIZE = 1_000;

/** int8 as a JavaScript number: seqs, epochs and millisecond times stay far below 2^53. */
const types: pg.CustomTypesConfig = {
  getTypeParser: (oid, format): unknown => (oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format)),
};

/**
 * A {@link Store} on PostgreSQL, with the same contract as the file and memory stores; several
 * processes may open the same database.
 *
 * - `open()` creates the pool and applies the schema migrations (once, under a lock).
 * - `append` is one compare-and-set statement (see {@link appendStatement}): it commits only if the
 *   plan's head is still the seq before the batch and, with a lease, that lease is current;
 *   otherwise CONFLICT and nothing is stored. Appends, lease grants and releases of one plan are
 *   issued one at a time in call order, so a writer may issue its next append before the previous
 *   one resolved, and a lease change issued after an append is checked after it. Other store
 *   objects (other processes) on the same database are other writers: their appends race on the
 *   compare-and-set, and exactly one of two appends of one seq commits.
 * - Leases are columns of the plan's row with durable, growing epochs and an expiry on the
 *   database clock. `close()` releases the leases granted through this store object; those of a
 *   process that dies are taken over once they expire (or never, when granted without a TTL).
 * - `readFeed`/`feedStart`: the lossless change feed over all plans (see {@link readFeed}).
 * - `saveSnapshot` writes in the background, only a snapshot newer than the stored one; `flush()`
 *   waits for those writes.
 */
export function createPostgresStore(options: PostgresStoreOptions): Store {
  let pool: pg.Pool | undefined;
  let connection: ConnectionHealth | undefined;
  /** The tail of each plan's queue of appends and lease changes. */
  const queues = new Map<string, Promise<unknown>>();
  const rows = new Map<string, RowAt>();
  const snapshotWrites = new Set<Promise<void>>();
  let snapshotFailure: unknown;
  /** The leases granted through this object and not released: released by `close()`. */
  const granted = new Map<string, LeaseToken>();

  function db(): pg.Pool {
    if (!pool) throw new PlanroomError("INVALID_STATE", "the store is not open");
    return pool;
  }

  /** Runs `task` after every earlier queued call of the plan settled. */
  function queued<T>(planId: string, task: () => Promise<T>): Promise<T> {
    const previous = queues.get(planId) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    queues.set(planId, tail);
    void tail.then(() => {
      if (queues.get(planId) === tail) queues.delete(planId);
    });
    return run;
  }

  function remember(planId: string, at: RowAt): void {
    rows.delete(planId);
    rows.set(planId, at);
    if (rows.size > ROW_CACHE_SIZE) rows.delete(rows.keys().next().value!);
  }

  /** The plan's list row and policy at `seq` (the head the append expects); CONFLICT when the head is elsewhere. */
  async function rowAt(planId: string, seq: number, lease: LeaseToken | undefined): Promise<RowAt> {
    const cached = rows.get(planId);
    if (cached?.seq === seq) return { ...cached, row: structuredClone(cached.row) };
    const { rows: found } = await db().query<{ head_seq: number; list_row: PlanListItem | null; policy: ApprovalPolicy | null; auto_execute: boolean }>(
      "SELECT head_seq, list_row, policy, auto_execute FROM plans WHERE plan_id = $1",
      [planId],
    );
    const head = found[0]?.head_seq ?? 0;
    if (head !== seq || !found[0]?.list_row || !found[0].policy) throw await conflict(planId, seq, lease);
    return { seq, row: found[0].list_row, policy: found[0].policy, autoExecute: found[0].auto_execute };
  }

  /** Why an append updated nothing: the head moved, or the lease is not current. */
  async function conflict(planId: string, head: number, lease: LeaseToken | undefined): Promise<AppendConflictError> {
    const { rows: found } = await db().query<{ head_seq: number; lease_owner: string | null; lease_epoch: number; expired: boolean }>(
      "SELECT head_seq, lease_owner, lease_epoch, coalesce(lease_expires_at <= now(), false) AS expired FROM plans WHERE plan_id = $1",
      [planId],
    );
    const now = found[0];
    if (lease && (now?.lease_owner !== lease.owner || now.lease_epoch !== lease.epoch || now.expired)) {
      return leaseConflict(planId, lease, now ? { owner: now.lease_owner, epoch: now.lease_epoch, expired: now.expired } : { owner: null, epoch: 0 });
    }
    return seqConflict(planId, now?.head_seq ?? 0, head + 1);
  }

  async function append(planId: string, events: PlanEvent[], lease: LeaseToken | undefined): Promise<void> {
    const head = events[0]!.seq - 1;
    let at: RowAt;
    let rest = events;
    if (head === 0) {
      const first = events[0]!;
      if (first.type !== "plan.submitted") throw new PlanroomError("VALIDATION", `plan ${planId}: the first event is ${first.type}, not plan.submitted`);
      at = { seq: 1, row: planListRowFromSubmitted(first), policy: first.data.policy, autoExecute: first.data.autoExecute };
      rest = events.slice(1);
    } else {
      at = await rowAt(planId, head, lease);
    }
    for (const event of rest) applyToListRow(at.row, event);
    const last = head + events.length;
    rows.delete(planId);
    let result: pg.QueryResult;
    try {
      result = await db().query(appendStatement({ planId, events, row: at.row, policy: at.policy, autoExecute: at.autoExecute, lease }));
    } catch (error) {
      // the primary key is the second guard against a seq committed twice
      if ((error as { code?: string }).code === "23505") throw await conflict(planId, head, lease);
      throw error;
    }
    if (result.rowCount !== events.length) throw await conflict(planId, head, lease);
    remember(planId, { seq: last, row: at.row, policy: at.policy, autoExecute: at.autoExecute });
  }

  async function readEvents(planId: string, afterSeq = 0, limit?: number): Promise<PlanEvent[]> {
    db();
    if (!PlanIdSchema.safeParse(planId).success) throw new PlanroomError("VALIDATION", `invalid plan id "${planId}"`);
    const { rows: found } = await db().query<{ body: PlanEvent }>("SELECT body FROM plan_events WHERE plan_id = $1 AND seq > $2 ORDER BY seq LIMIT $3", [
      planId,
      Math.max(0, Math.floor(afterSeq)),
      limit === undefined || !Number.isFinite(limit) ? null : Math.max(0, Math.floor(limit)),
    ]);
    return found.map((r) => r.body);
  }

  /** Stores a snapshot unless a newer one is stored; one ahead of the log (which should not happen) is always replaced. */
  async function writeSnapshot(state: PlanState): Promise<void> {
    await db().query(
      `INSERT INTO plan_snapshots AS s (plan_id, seq, state)
       SELECT $1::text, $2::bigint, $3::json WHERE EXISTS (SELECT 1 FROM plans WHERE plan_id = $1 AND head_seq > 0)
       ON CONFLICT (plan_id) DO UPDATE SET seq = EXCLUDED.seq, state = EXCLUDED.state
        WHERE s.seq < EXCLUDED.seq OR s.seq > (SELECT head_seq FROM plans WHERE plan_id = $1)`,
      [state.plan.id, state.seq, JSON.stringify(state)],
    );
  }

  function checkKey(key: string): void {
    if (!DOCUMENT_KEY.test(key)) throw new PlanroomError("VALIDATION", `invalid document key "${key}"`);
  }

  return {
    sharedWriters: true,
    async open() {
      if (pool) return;
      const next = new pg.Pool({ connectionString: options.connectionString, max: options.maxConnections ?? 10, types });
      next.on("error", (error) => options.onError?.(error));
      try {
        await migrate(next);
      } catch (error) {
        await next.end().catch(() => undefined);
        throw new PlanroomError("INTERNAL", `the PostgreSQL store could not open: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      connection = new ConnectionHealth({ probe: () => next.query("SELECT 1") });
      pool = watchConnection(next, connection);
    },
    health() {
      return pool && connection ? connection.health() : { writable: false, reason: "the store is not open" };
    },
    async append(events, appendOptions) {
      db();
      const checked = checkAppend(events, (id) => (events[0]?.planId === id ? events[0].seq - 1 : 0));
      if (!checked) return;
      const { planId, parsed } = checked;
      if (parsed[0]!.seq < 1) throw await conflict(planId, parsed[0]!.seq - 1, undefined);
      const lease = appendOptions?.lease;
      await queued(planId, () => append(planId, parsed, lease));
    },
    readEvents,
    async loadPlan(planId) {
      const { rows: found } = await db().query<{ head_seq: number; state: PlanState | null }>(
        "SELECT p.head_seq, s.state FROM plans p LEFT JOIN plan_snapshots s USING (plan_id) WHERE p.plan_id = $1 AND p.head_seq > 0",
        [planId],
      );
      const plan = found[0];
      if (!plan) return undefined;
      return foldPlan(planId, plan.head_seq, plan.state ?? undefined, (after) => readEvents(planId, after), { snapshotIsOwned: true });
    },
    async queryPlans(query): Promise<PlanPage> {
      db();
      assertQueryLimit(query.limit);
      const statement = planQueryStatement(query);
      if (!statement) return { plans: [] };
      const { rows: found } = await db().query<{ list_row: PlanListItem; policy: ApprovalPolicy }>(statement);
      const plans = found.slice(0, query.limit).map((r) => ({ row: r.list_row, policy: r.policy }));
      if (found.length <= query.limit) return { plans };
      const last = plans[plans.length - 1]!.row;
      return { plans, next: { createdAt: last.createdAt, id: last.id } };
    },
    async countPlans() {
      const { rows: found } = await db().query<{ status: PlanStatus; n: number }>("SELECT status, count(*)::int AS n FROM plans WHERE head_seq > 0 GROUP BY status");
      return new Map(found.map((r) => [r.status, r.n]));
    },
    saveSnapshot(state) {
      db();
      const write = writeSnapshot(structuredClone(state)).catch((error: unknown) => {
        snapshotFailure ??= error;
      });
      snapshotWrites.add(write);
      void write.then(() => snapshotWrites.delete(write));
    },
    async getDocument<T>(key: string) {
      checkKey(key);
      const { rows: found } = await db().query<{ value: T }>("SELECT value FROM documents WHERE key = $1", [key]);
      return found[0]?.value;
    },
    async setDocument<T>(key: string, value: T) {
      checkKey(key);
      const text = JSON.stringify(value);
      if (text === undefined) throw new PlanroomError("VALIDATION", `document "${key}" is not JSON`);
      await db().query(
        "INSERT INTO documents (key, value) VALUES ($1, $2::json) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()",
        [key, text],
      );
    },
    async ensureDocument<T>(key: string, value: T) {
      checkKey(key);
      const text = JSON.stringify(value);
      if (text === undefined) throw new PlanroomError("VALIDATION", `document "${key}" is not JSON`);
      // two statements: after waiting for a concurrent creator, the SELECT's new snapshot sees its row
      const created = await db().query<{ value: T }>("INSERT INTO documents (key, value) VALUES ($1, $2::json) ON CONFLICT (key) DO NOTHING RETURNING value", [key, text]);
      if (created.rows[0]) return created.rows[0].value;
      const { rows: found } = await db().query<{ value: T }>("SELECT value FROM documents WHERE key = $1", [key]);
      if (!found[0]) throw new PlanroomError("CONFLICT", `document "${key}" was deleted while it was created`);
      return found[0].value;
    },
    async acquireLease(planId, owner, leaseOptions) {
      db();
      const ttlMs = checkTtl(leaseOptions?.ttlMs);
      return queued(planId, async () => {
        const { rows: found } = await db().query<{ lease_epoch: number; head_seq: number; cancel_request: CancelRequest | null }>(acquireStatement(planId, owner, ttlMs));
        const grant = found[0];
        if (grant === undefined) {
          const holder = (await db().query<{ lease_owner: string | null }>("SELECT lease_owner FROM plans WHERE plan_id = $1", [planId])).rows[0]?.lease_owner;
          throw new PlanroomError("CONFLICT", `plan ${planId}: the executor lease is held by ${holder ?? "another owner"}`);
        }
        granted.set(planId, { owner, epoch: grant.lease_epoch });
        const result = { epoch: grant.lease_epoch, head: grant.head_seq };
        return grant.cancel_request ? { ...result, cancel: grant.cancel_request } : result;
      });
    },
    async renewLeases(owner, leases, ttlMs) {
      db();
      const ttl = checkTtl(ttlMs)!;
      const renewed = new Map<string, { cancel?: CancelRequest }>();
      if (leases.length === 0) return renewed;
      const { rows: found } = await db().query<{ plan_id: string; cancel_request: CancelRequest | null }>(renewStatement(owner, leases, ttl));
      for (const r of found) renewed.set(r.plan_id, r.cancel_request ? { cancel: r.cancel_request } : {});
      return renewed;
    },
    async releaseLease(planId, owner, epoch) {
      db();
      await queued(planId, async () => {
        await db().query(releaseStatement([{ planId, owner, epoch }]));
        const mine = granted.get(planId);
        if (mine?.owner === owner && (epoch === undefined || mine.epoch === epoch)) granted.delete(planId);
      });
    },
    async orphanedRuns(limit) {
      const { rows: found } = await db().query<{ plan_id: string }>(orphansStatement(Math.max(0, Math.floor(limit))));
      return found.map((r) => r.plan_id);
    },
    async requestCancel(planId, request) {
      const result = await db().query(cancelStatement(planId, request));
      return result.rowCount === 1;
    },
    readFeed: (cursor, limit) => readFeed(db(), cursor, limit),
    feedStart: () => feedStart(db()),
    async flush() {
      db();
      await Promise.all([...queues.values()]);
      await Promise.all([...snapshotWrites]);
      if (snapshotFailure !== undefined) {
        const error = snapshotFailure;
        snapshotFailure = undefined;
        throw new PlanroomError("INTERNAL", "a snapshot could not be written", { cause: error });
      }
    },
    async close() {
      if (!pool) return;
      try {
        await Promise.all([...queues.values()]);
        await Promise.all([...snapshotWrites]);
        const leases = [...granted].map(([planId, lease]) => ({ planId, ...lease }));
        granted.clear();
        if (leases.length > 0) await pool.query(releaseStatement(leases));
      } finally {
        const ending = pool;
        pool = undefined;
        connection?.stop();
        rows.clear();
        await ending.end();
      }
    },
  };
}
