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
import { checkAppend } from "../append-check.js";
import { foldPlan } from "../fold-plan.js";
import { assertQueryLimit, type PlanPage } from "../plan-query.js";
import { DOCUMENT_KEY, type LeaseToken, type Store } from "../store.js";
import { appendStatement } from "./append-statement.js";
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
 *   one resolved, and a lease change issued after an append is checked after it.
 * - Leases are columns of the plan's row with durable, growing epochs. `close()` releases the
 *   leases granted through this store object; a process that dies keeps its leases (taking them
 *   over needs a lease TTL, which this store does not have yet).
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
  async function rowAt(planId: string, seq: number): Promise<RowAt> {
    const cached = rows.get(planId);
    if (cached?.seq === seq) return { seq, row: structuredClone(cached.row), policy: cached.policy };
    const { rows: found } = await db().query<{ head_seq: number; list_row: PlanListItem | null; policy: ApprovalPolicy | null }>(
      "SELECT head_seq, list_row, policy FROM plans WHERE plan_id = $1",
      [planId],
    );
    const head = found[0]?.head_seq ?? 0;
    if (head !== seq || !found[0]?.list_row || !found[0].policy) throw new PlanroomError("CONFLICT", `plan ${planId}: expected event ${head + 1}, got ${seq + 1}`);
    return { seq, row: found[0].list_row, policy: found[0].policy };
  }

  /** Why an append updated nothing: the head moved, or the lease is not current. */
  async function conflict(planId: string, head: number, lease: LeaseToken | undefined): Promise<PlanroomError> {
    const { rows: found } = await db().query<{ head_seq: number; lease_owner: string | null; lease_epoch: number }>(
      "SELECT head_seq, lease_owner, lease_epoch FROM plans WHERE plan_id = $1",
      [planId],
    );
    const now = found[0];
    if (lease && (now?.lease_owner !== lease.owner || now.lease_epoch !== lease.epoch)) {
      const holder = now?.lease_owner ? `the lease is held by ${now.lease_owner} at epoch ${now.lease_epoch}` : "no lease is held";
      return new PlanroomError("CONFLICT", `plan ${planId}: the executor lease of ${lease.owner} at epoch ${lease.epoch} is not current (${holder})`);
    }
    return new PlanroomError("CONFLICT", `plan ${planId}: expected event ${(now?.head_seq ?? 0) + 1}, got ${head + 1}`);
  }

  async function append(planId: string, events: PlanEvent[], lease: LeaseToken | undefined): Promise<void> {
    const head = events[0]!.seq - 1;
    let at: RowAt;
    let rest = events;
    if (head === 0) {
      const first = events[0]!;
      if (first.type !== "plan.submitted") throw new PlanroomError("VALIDATION", `plan ${planId}: the first event is ${first.type}, not plan.submitted`);
      at = { seq: 1, row: planListRowFromSubmitted(first), policy: first.data.policy };
      rest = events.slice(1);
    } else {
      at = await rowAt(planId, head);
    }
    for (const event of rest) applyToListRow(at.row, event);
    const last = head + events.length;
    rows.delete(planId);
    let result: pg.QueryResult;
    try {
      result = await db().query(appendStatement({ planId, events, row: at.row, policy: at.policy, lease }));
    } catch (error) {
      // the primary key is the second guard against a seq committed twice
      if ((error as { code?: string }).code === "23505") throw await conflict(planId, head, lease);
      throw error;
    }
    if (result.rowCount !== events.length) throw await conflict(planId, head, lease);
    remember(planId, { seq: last, row: at.row, policy: at.policy });
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
      if (parsed[0]!.seq < 1) throw new PlanroomError("CONFLICT", `plan ${planId}: expected event 1 or later, got ${parsed[0]!.seq}`);
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
    async acquireLease(planId, owner) {
      db();
      return queued(planId, async () => {
        const { rows: found } = await db().query<{ lease_epoch: number }>(
          `INSERT INTO plans AS p (plan_id, lease_owner, lease_epoch) VALUES ($1, $2, 1)
           ON CONFLICT (plan_id) DO UPDATE SET lease_owner = EXCLUDED.lease_owner, lease_epoch = p.lease_epoch + 1, updated_at = now()
            WHERE p.lease_owner IS NULL OR p.lease_owner = EXCLUDED.lease_owner
           RETURNING p.lease_epoch`,
          [planId, owner],
        );
        const epoch = found[0]?.lease_epoch;
        if (epoch === undefined) {
          const holder = (await db().query<{ lease_owner: string | null }>("SELECT lease_owner FROM plans WHERE plan_id = $1", [planId])).rows[0]?.lease_owner;
          throw new PlanroomError("CONFLICT", `plan ${planId}: the executor lease is held by ${holder ?? "another owner"}`);
        }
        granted.set(planId, { owner, epoch });
        return { epoch };
      });
    },
    async releaseLease(planId, owner) {
      db();
      await queued(planId, async () => {
        await db().query("UPDATE plans SET lease_owner = NULL, updated_at = now() WHERE plan_id = $1 AND lease_owner = $2", [planId, owner]);
        if (granted.get(planId)?.owner === owner) granted.delete(planId);
      });
    },
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
        if (leases.length > 0) {
          await pool.query(
            `UPDATE plans p SET lease_owner = NULL, updated_at = now()
               FROM unnest($1::text[], $2::text[], $3::bigint[]) AS l(plan_id, owner, epoch)
              WHERE p.plan_id = l.plan_id AND p.lease_owner = l.owner AND p.lease_epoch = l.epoch`,
            [leases.map((l) => l.planId), leases.map((l) => l.owner), leases.map((l) => l.epoch)],
          );
        }
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
