import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { PlanIdSchema, PlanroomError, type PlanState } from "../../../shared/index.js";
import { writeFileAtomic } from "./atomic-file.js";
import { lockDirectory } from "./dir-lock.js";
import { EventLog, type EventLogCommit, type EventLogStats } from "./event-log.js";
import { foldPlan } from "../fold-plan.js";
import type { PlanPosition } from "../plan-query.js";
import { checkTtl, LeaseTable } from "../lease-table.js";
import { FilePlanIndex } from "./file-plan-index.js";
import { SnapshotFiles } from "./snapshot-files.js";
import { DOCUMENT_KEY, type Store, type StoreHealth } from "../store.js";

/** Options of {@link createFileStore}. */
export interface FileStoreOptions {
  /** The data directory (created if missing). */
  dir: string;
  /** Plan log descriptors kept open at most. Default: a quarter of the process's open-file limit, 256–16,384. */
  maxOpenFiles?: number;
  /** Plans whose log position (last seq, size) is kept in memory before idle ones are dropped. Default 10,000. */
  maxPlanEntries?: number;
  /** Durable bytes held back from the plan files before they are written there. Default 4 MiB. */
  unwrittenBytes?: number;
  /** Write-ahead segment size that triggers a checkpoint. Default 64 MiB. */
  segmentBytes?: number;
  /** How long index and snapshot changes wait before they are written. Default 5000 ms. */
  indexDebounceMs?: number;
  /** Told when the plan index had to be rebuilt from the logs (missing or damaged), with why and how many plans. */
  onIndexRebuilt?: ((why: string, plans: number) => void) | undefined;
  /** Told after each group commit of the event log, with its latency (for metrics). */
  onCommit?: ((commit: EventLogCommit) => void) | undefined;
  /** The clock lease expiry is measured on (default `Date.now`). */
  clock?: () => number;
}

/** A {@link Store} that also shows its group-commit counters. */
export interface FileStore extends Store {
  /** Group-commit counters of the event log. */
  readonly stats: EventLogStats;
  health(): StoreHealth;
}

/**
 * The embedded store: a data directory holding
 * - `events/<planId>.jsonl` and `wal/*.wal`: the event log, the truth (see {@link EventLog});
 * - `plan-index.jsonl`: the plan index, every plan's keys and list row (see {@link FilePlanIndex}),
 *   kept from the events as they become durable and written in the background (and before a
 *   write-ahead segment is retired);
 * - `snapshots/<planId>.json`: each plan's latest snapshot, written in the background (see {@link SnapshotFiles});
 * - `documents/<key>.json`: small documents, written atomically and fsynced;
 * - `leases/<planId>.json`: each plan's last executor lease epoch, fsynced before it is granted;
 * - `LOCK`: the pid of the process that has the directory open.
 *
 * Opening reads the write-ahead segments and the index, never every plan: a plan's log and
 * snapshot are read when it is loaded or written. A missing or damaged index is rebuilt from the
 * logs (every plan folded from its snapshot and log once); plans the replayed segments held are
 * folded again, since their index entries may lag behind what the segments hold.
 */
export function createFileStore(options: FileStoreOptions): FileStore {
  const { dir } = options;
  const debounceMs = options.indexDebounceMs ?? 5_000;
  const log = new EventLog({
    dir,
    maxOpenFiles: options.maxOpenFiles,
    segmentBytes: options.segmentBytes,
    maxEntries: options.maxPlanEntries,
    unwrittenBytes: options.unwrittenBytes,
    onCommit: options.onCommit,
    onDurable: (events) => {
      index.noteEvents(events);
      leases.noteEvents(events);
    },
    mayHaveFile: (planId) => index.knows(planId),
    beforeRetire: () => index.flush(),
  });
  const index: FilePlanIndex = new FilePlanIndex({ dir, debounceMs, fold, listPlanIds: () => log.listPlanIds(), onRebuilt: options.onIndexRebuilt });
  const snapshots = new SnapshotFiles(dir, (id) => log.knownDurableSeq(id), debounceMs);
  const leases = new LeaseTable(options.clock ?? Date.now);
  const epochs = new Map<string, number>();
  /** Lease changes of one plan run one at a time. */
  const leaseQueues = new Map<string, Promise<unknown>>();
  /** Creations of one document run one at a time. */
  const documentQueues = new Map<string, Promise<unknown>>();
  let unlock: (() => Promise<void>) | undefined;
  let closing: Promise<void> | undefined;

  function assertOpen(): void {
    if (!unlock) throw new PlanroomError("INVALID_STATE", "the store is not open");
  }

  function documentPath(key: string): string {
    if (!DOCUMENT_KEY.test(key)) throw new PlanroomError("VALIDATION", `invalid document key "${key}"`);
    return join(dir, "documents", `${key}.json`);
  }

  function leasePath(planId: string): string {
    if (!PlanIdSchema.safeParse(planId).success) throw new PlanroomError("VALIDATION", `invalid plan id "${planId}"`);
    return join(dir, "leases", `${planId}.json`);
  }

  async function readJson<T>(path: string): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(path, "utf8")) as T;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  /** A plan's state from its snapshot and the events after it. */
  async function fold(planId: string): Promise<PlanState | undefined> {
    const lastSeq = await log.durableSeq(planId);
    if (!lastSeq) return undefined;
    const snapshot = await snapshots.read(planId);
    return foldPlan(planId, lastSeq, snapshot, (after) => log.read(planId, after), { snapshotIsOwned: true });
  }

  function serialise<T>(planId: string, task: () => Promise<T>, queues = leaseQueues): Promise<T> {
    const run = (queues.get(planId) ?? Promise.resolve()).catch(() => undefined).then(task);
    queues.set(planId, run);
    void run.finally(() => {
      if (queues.get(planId) === run) queues.delete(planId);
    }).catch(() => undefined);
    return run;
  }

  /** Whether the plan was submitted to run as soon as it is approved. */
  async function autoExecutes(planId: string): Promise<boolean> {
    const [first] = await log.read(planId, 0, 1);
    return first?.type === "plan.submitted" && first.data.autoExecute;
  }

  return {
    get stats() {
      return log.stats;
    },
    async open() {
      if (unlock) return;
      await mkdir(dir, { recursive: true });
      const release = await lockDirectory(dir);
      try {
        await mkdir(join(dir, "documents"), { recursive: true });
        await mkdir(join(dir, "leases"), { recursive: true });
        await snapshots.open();
        // The segments are deleted only once the index corrections they imply are written.
        await log.open((replayed) => index.open(replayed));
      } catch (error) {
        await index.close();
        await log.close().catch(() => undefined);
        await release();
        throw error;
      }
      leases.clear();
      epochs.clear();
      unlock = release;
    },
    health(): StoreHealth {
      const refusal = unlock ? log.refusal : "the store is not open";
      return refusal === undefined ? { writable: true } : { writable: false, reason: refusal };
    },
    async append(events, options) {
      assertOpen();
      // Fencing, checked synchronously as the call is accepted (before it is queued for the next
      // commit): a lease taken over before this point refuses the whole call.
      if (options?.lease && events[0]) leases.assertCurrent(events[0].planId, options.lease);
      return log.append(events);
    },
    async readEvents(planId, afterSeq = 0, limit) {
      assertOpen();
      return log.read(planId, afterSeq, limit);
    },
    async loadPlan(planId) {
      assertOpen();
      const state = await fold(planId);
      if (state) index.correct(state); // an entry behind its log (a plan file the index lags) is put right
      return state;
    },
    async queryPlans(query) {
      assertOpen();
      return index.query(query);
    },
    async countPlans() {
      assertOpen();
      return index.counts();
    },
    saveSnapshot(state) {
      assertOpen();
      snapshots.note(state);
    },
    async getDocument<T>(key: string) {
      assertOpen();
      return readJson<T>(documentPath(key));
    },
    async setDocument<T>(key: string, value: T) {
      assertOpen();
      const path = documentPath(key);
      const text = JSON.stringify(value);
      if (text === undefined) throw new PlanroomError("VALIDATION", `document "${key}" is not JSON`);
      await writeFileAtomic(path, text);
    },
    async ensureDocument<T>(key: string, value: T) {
      assertOpen();
      const path = documentPath(key);
      return serialise(
        key,
        async () => {
          const stored = await readJson<T>(path);
          if (stored !== undefined) return stored;
          const text = JSON.stringify(value);
          if (text === undefined) throw new PlanroomError("VALIDATION", `document "${key}" is not JSON`);
          await writeFileAtomic(path, text);
          return JSON.parse(text) as T;
        },
        documentQueues,
      );
    },
    async acquireLease(planId, owner, leaseOptions) {
      assertOpen();
      const path = leasePath(planId);
      const ttlMs = checkTtl(leaseOptions?.ttlMs);
      return serialise(planId, async () => {
        leases.check(planId, owner);
        const last = epochs.get(planId) ?? (await readJson<{ epoch: number }>(path))?.epoch ?? 0;
        const epoch = last + 1;
        await writeFileAtomic(path, JSON.stringify({ epoch, owner }));
        epochs.set(planId, epoch);
        const cancel = leases.grant(planId, owner, epoch, ttlMs);
        // appends accepted before the grant (under the old lease) are part of what the new holder loads
        let head: number;
        try {
          await log.flush();
          head = (await log.durableSeq(planId)) ?? 0;
        } catch (error) {
          leases.release(planId, owner, epoch);
          throw error;
        }
        return cancel ? { epoch, head, cancel: { ...cancel } } : { epoch, head };
      });
    },
    async renewLeases(owner, list, ttlMs) {
      assertOpen();
      return leases.renew(owner, list, checkTtl(ttlMs)!);
    },
    async releaseLease(planId, owner, epoch) {
      assertOpen();
      await serialise(planId, async () => leases.release(planId, owner, epoch));
    },
    async orphanedRuns(limit) {
      assertOpen();
      const candidates: string[] = [];
      let after: PlanPosition | undefined;
      do {
        const page = await index.query({ limit: 500, status: ["executing", "approved"], ...(after ? { after } : {}) });
        for (const { row } of page.plans) if (row.status === "executing" || (await autoExecutes(row.id))) candidates.push(row.id);
        after = page.next;
      } while (after);
      return leases.orphans(candidates, limit);
    },
    async requestCancel(planId, request) {
      assertOpen();
      if (index.statusOf(planId) !== "executing") return false;
      leases.requestCancel(planId, request);
      return true;
    },
    async flush() {
      assertOpen();
      await log.flush();
      await snapshots.flush();
      await index.flush();
    },
    close() {
      if (!unlock) return Promise.resolve();
      // appends still in flight resolve first, and their snapshots are still accepted and written
      closing ??= (async () => {
        try {
          await log.close();
          await snapshots.flush();
          await index.flush();
        } finally {
          snapshots.close();
          await index.close();
          const release = unlock;
          unlock = undefined;
          closing = undefined;
          await release?.();
        }
      })();
      return closing;
    },
  };
}
