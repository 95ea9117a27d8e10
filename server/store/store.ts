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
 * Ordering contract: `append` calls for one plan come from a single writer, in seq order (the writer
 * may issue the next call before the previous one resolved); many plans append concurrently.
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
   * (written and fsynced, group-committed with other appends). Rejects on a seq gap (CONFLICT),
   * on events of several plans in one call or invalid events (VALIDATION), without storing any of them.
   *
   * Fencing: with `options.lease`, the call is accepted only if that lease (owner and epoch) is the
   * plan's current one, checked when the call is accepted, in the same order as the writes; a lease
   * that was released or taken over (a stale executor) is refused with `CONFLICT` and nothing is
   * stored. Executors pass the lease of their run. Appends without a lease stay allowed: commands
   * such as votes, submissions and revisions are not executor writes and need no lease.
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
   * Per-plan executor lease with a fencing epoch (one executor per plan across processes).
   *
   * - A free lease, or one already held by `owner`, is granted with a new epoch, strictly greater
   *   than every epoch granted before for that plan (also across restarts: epochs are durable).
   * - A lease held by another owner is refused with `CONFLICT`.
   * - Leases do not outlive the process that holds the store open: after a restart every lease is
   *   free again, but epochs keep growing, so a token from before the restart is always stale.
   */
  acquireLease(planId: string, owner: string): Promise<{ epoch: number }>;
  /** Frees the lease if `owner` holds it; otherwise does nothing (a stale holder cannot free a newer one). */
  releaseLease(planId: string, owner: string): Promise<void>;
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

/** Options of {@link Store.append}. */
interface AppendOptions {
  /** Fencing: accept the events only while this is the plan's current executor lease. */
  lease?: LeaseToken;
}

/** Keys of documents: a safe file name. */
export const DOCUMENT_KEY = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
