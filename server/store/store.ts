import type { PlanEvent, PlanState, PlanStatus } from "../../shared/index.js";
import type { PlanPage, PlanQuery } from "./plan-query.js";

/**
 * Where Planroom keeps its plans: the per-plan event logs (the truth), snapshots (which make loading
 * a plan cheap), the plan index (what lists and start-up query, kept from the events), small
 * documents, and executor leases.
 *
 * Three implementations honour the same contract: {@link createFileStore} (the embedded default, a
 * data directory), {@link createMemoryStore} (tests, throwaway servers) and
 * {@link createPostgresStore} (a PostgreSQL database that several processes can share, for when one
 * machine is outgrown).
 *
 * Ordering contract: many writers may append to one plan (several server nodes, each deciding on
 * the state it has). `append` is a compare-and-set: it commits only if its first seq is the
 * plan's head + 1 at commit time (and, with a lease, only while that lease is current); otherwise
 * it rejects with an {@link AppendConflictError} and stores nothing. A `seq` conflict is resolved
 * by catching up and deciding again; a `lease` conflict is final. A writer keeps at most one append
 * in flight per plan; the file and memory stores, and one PostgreSQL store object for its own
 * calls, still accept a pipelined next call (issued before the previous one resolved) in call
 * order. Many plans append concurrently.
 *
 * Executor leases may expire (`ttlMs`): an expired lease is taken over by the next acquirer with a
 * new epoch, so a run whose holder died is picked up elsewhere ({@link Store.orphanedRuns}).
 * Expiry is measured on the database clock (PostgreSQL) or the store's injected clock.
 */
export interface Store {
  /**
   * Whether other processes may append to the same plans (a database several server nodes share).
   * Rooms then keep at most one append in flight per plan and catch up with the log when another
   * writer came first. Absent: this process is the only writer (the file store's lock, the memory store).
   */
  readonly sharedWriters?: boolean;
  /** Opens (creates if needed) the store. Must resolve before any other call. */
  open(): Promise<void>;
  /**
   * Appends the next events of one plan (seqs gap-free, continuing the log); resolves once durable
   * (written and fsynced, group-committed with other appends). Nothing of a refused call is stored.
   *
   * - Compare-and-set: commits iff `events[0].seq` is the plan's head + 1 at commit time; a stale
   *   or a gapped seq (another writer moved the head first) rejects with an
   *   {@link AppendConflictError} of kind `seq` carrying the current head.
   * - Fencing: with `options.lease`, commits only while that lease (owner and epoch, not expired) is
   *   the plan's current one; otherwise an {@link AppendConflictError} of kind `lease` names the
   *   current holder (owner null when none). The file and memory stores check it when the call is
   *   accepted, PostgreSQL at commit with this object's calls of a plan in call order: either way an
   *   append issued before a takeover is kept, one issued after it refused. Executors pass the
   *   lease of their run; commands (votes, submissions, revisions) need none.
   * - Events of several plans in one call, or invalid events: `VALIDATION`.
   */
  append(events: PlanEvent[], options?: AppendOptions): Promise<void>;
  /** Events of a plan with seq > afterSeq, in order (from the log), at most `limit` of them. Unknown plan: empty. */
  readEvents(planId: string, afterSeq?: number, limit?: number): Promise<PlanEvent[]>;
  /**
   * One plan's state, rebuilt from its latest snapshot and the events after it (undefined: no such
   * plan). Nothing else is read: the cost is the snapshot and the tail, not the whole log.
   */
  loadPlan(planId: string): Promise<PlanState | undefined>;
  /**
   * One page of the plan index (see {@link PlanQuery}): newest first, filtered, with the position the
   * next page starts at. The index reflects every append once it resolved; its cost does not grow
   * with the number of plans that do not match before the page is full.
   */
  queryPlans(query: PlanQuery): Promise<PlanPage>;
  /** How many plans are stored in each status (statuses without plans left out). */
  countPlans(): Promise<Map<PlanStatus, number>>;
  /** Remember a state as a snapshot (debounced, off the hot path; the log stays the truth). */
  saveSnapshot(state: PlanState): void;
  /** Small documents (e.g. the generated development principals). */
  getDocument<T>(key: string): Promise<T | undefined>;
  /** Stores a small JSON document durably under `key` (letters, digits, `.`, `_`, `-`). */
  setDocument<T>(key: string, value: T): Promise<void>;
  /**
   * Creates the document if it is absent and returns what is stored: the first writer wins, also
   * between processes sharing one database (e.g. the generated development principals).
   */
  ensureDocument<T>(key: string, value: T): Promise<T>;
  /**
   * Per-plan executor lease with a fencing epoch (one executor per plan across processes).
   *
   * - A free lease, one already held by `owner`, or an expired one is granted with a new epoch,
   *   strictly greater than every epoch granted before for that plan (also across restarts: epochs
   *   are durable). The grant carries the plan's head seq (the new executor loads up to it) and a
   *   pending cancel request.
   * - A lease held by another owner and not expired is refused with `CONFLICT`.
   * - `ttlMs` omitted: the lease does not expire. With it, it expires `ttlMs` after the grant or the
   *   last {@link renewLeases}.
   * - Leases of the file and memory stores do not outlive the process that holds the store open:
   *   after a restart every lease is free again, but epochs keep growing.
   */
  acquireLease(planId: string, owner: string, options?: { ttlMs?: number }): Promise<LeaseGrant>;
  /**
   * Renews, in one call, every listed lease that is still `owner`'s at that epoch (for `ttlMs` from
   * now). The result holds the renewed ones, with a pending cancel request; the ones missing are
   * lost, and their holder must abort that run.
   */
  renewLeases(owner: string, leases: readonly { planId: string; epoch: number }[], ttlMs: number): Promise<Map<string, { cancel?: CancelRequest }>>;
  /** Frees the lease if `owner` holds it (with `epoch`: only at that epoch); otherwise does nothing (a stale holder cannot free a newer one). */
  releaseLease(planId: string, owner: string, epoch?: number): Promise<void>;
  /**
   * Plans that need an executor and have none: executing, or approved with auto-execute, and no
   * lease or an expired one; oldest expiry first (never leased first), at most `limit`.
   */
  orphanedRuns(limit: number): Promise<string[]>;
  /**
   * Asks the executor of a plan to cancel its run: true iff the plan is executing and the request
   * was stored. Its holder reads it from {@link acquireLease} and {@link renewLeases}; it is
   * cleared when the plan leaves executing. Durable on PostgreSQL, in memory otherwise.
   */
  requestCancel(planId: string, request: CancelRequest): Promise<boolean>;
  /**
   * The lossless change feed (PostgreSQL only): the committed events of all plans after `cursor`
   * (undefined: from the start), at most `limit`, ordered per plan by seq, with the cursor to
   * continue from. An event is never skipped, even when a transaction that began earlier commits later.
   */
  readFeed?(cursor: FeedCursor | undefined, limit: number): Promise<{ changes: { planId: string; seq: number }[]; cursor: FeedCursor }>;
  /** Where to start {@link readFeed} so that nothing committed after this call is missed (PostgreSQL only). */
  feedStart?(): Promise<FeedCursor>;
  /** Everything appended so far is durable, snapshots written. */
  flush(): Promise<void>;
  /**
   * Whether the store accepts appends now: not before `open()` or after `close()`, and not once a
   * failed write made it refuse every later append (the file store, until it is reopened). Cheap,
   * for readiness checks. Optional, so that stores written before it keep working: a store
   * without it counts as writable.
   */
  health?(): StoreHealth;
  /** Flushes, then releases files. The store can be opened again. */
  close(): Promise<void>;
}

/** What {@link Store.health} reports: writable, or why not. */
export type StoreHealth = { writable: true } | { writable: false; reason: string };

/** An executor lease as granted by {@link Store.acquireLease}: who holds it, and its epoch. */
export interface LeaseToken {
  owner: string;
  epoch: number;
}

/** What {@link Store.acquireLease} grants: the epoch, the plan's head seq at the grant, and a pending cancel request. */
export interface LeaseGrant {
  epoch: number;
  head: number;
  cancel?: CancelRequest;
}

/** A request to cancel a plan's run, for its executor (see {@link Store.requestCancel}). */
export interface CancelRequest {
  reason: string;
  by: string;
}

/** A position in the change feed ({@link Store.readFeed}): a transaction id (xid8, as text) and a position in it. */
export interface FeedCursor {
  tx: string;
  pos: number;
}

/** Options of {@link Store.append}. */
interface AppendOptions {
  /** Fencing: accept the events only while this is the plan's current executor lease. */
  lease?: LeaseToken;
}

/** Keys of documents: a safe file name. */
export const DOCUMENT_KEY = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
