import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { applyToListRow, PlanIdSchema, planListRow, PlanroomError, type PlanEvent, type PlanListItem, type PlanState } from "../../../shared/index.js";
import { writeFileAtomic } from "./atomic-file.js";
import { lockDirectory } from "./dir-lock.js";
import { EventLog, type EventLogCommit, type EventLogStats } from "./event-log.js";
import { foldPlan } from "../fold-plan.js";
import { LeaseTable } from "../lease-table.js";
import { PlanIndexJournal } from "./plan-index-journal.js";
import { PlanIndexTable, type IndexEntry } from "../plan-index-table.js";
import { isLiveStatus } from "../plan-query.js";
import { SnapshotFiles } from "./snapshot-files.js";
import { DOCUMENT_KEY, type Store, type StoreHealth } from "../store.js";

/** Rows of finished plans kept in memory once read (a list's next call for the same page reads none). */
const ROWS_KEPT = 2_000;
/** Plans read at once when the plan index is rebuilt from the logs. */
const REBUILD_CONCURRENCY = 16;

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
 * - `plan-index.jsonl`: the plan index, every plan's list row and policy (see {@link PlanIndexJournal}),
 *   held in memory as a {@link PlanIndexTable}, kept from the events as they become durable and
 *   written in the background (and before a write-ahead segment is retired);
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
  const table = new PlanIndexTable();
  const journal = new PlanIndexJournal(dir);
  /** Plans whose index entries changed since the journal was last written. */
  let changed = new Set<string>();
  let indexTimer: NodeJS.Timeout | undefined;
  let indexWriting: Promise<void> = Promise.resolve();
  /** Whether the index in memory is whole (read or rebuilt): only then is it written. */
  let indexReady = false;
  const log = new EventLog({
    dir,
    maxOpenFiles: options.maxOpenFiles,
    segmentBytes: options.segmentBytes,
    maxEntries: options.maxPlanEntries,
    unwrittenBytes: options.unwrittenBytes,
    onCommit: options.onCommit,
    onDurable: (events) => noteIndexed(events),
    // The index knows every stored plan once open: one it does not know is new and has no file.
    mayHaveFile: (planId) => !indexReady || table.get(planId) !== undefined,
    beforeRetire: () => flushIndex(),
  });
  const snapshots = new SnapshotFiles(dir, (id) => log.knownDurableSeq(id), debounceMs);
  const leases = new LeaseTable();
  const epochs = new Map<string, number>();
  /** Lease changes of one plan run one at a time. */
  const leaseQueues = new Map<string, Promise<unknown>>();
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

  function noteIndexed(events: readonly PlanEvent[]): void {
    for (const id of table.apply(events)) changed.add(id);
    scheduleIndex();
  }

  function scheduleIndex(): void {
    if (indexTimer || changed.size === 0) return;
    indexTimer = setTimeout(() => {
      indexTimer = undefined;
      // A failed background write loses nothing: the entries stay noted for the next flush.
      flushIndex().catch(() => undefined);
    }, debounceMs);
    indexTimer.unref();
  }

  /**
   * Writes the changed index entries (one append, or the whole index when the journal is mostly
   * superseded lines); then the rows of finished plans are let go from memory (read from the
   * journal when a list shows them).
   */
  function flushIndex(): Promise<void> {
    clearTimeout(indexTimer);
    indexTimer = undefined;
    if (!indexReady) return indexWriting.catch(() => undefined);
    indexWriting = indexWriting
      .catch(() => undefined)
      .then(async () => {
        const ids = changed;
        changed = new Set();
        try {
          const entries: IndexEntry[] = [];
          for (const id of ids) {
            const entry = table.get(id);
            if (!entry) continue;
            await rowOf(entry); // a row that missed events is brought up to date first
            const current = table.get(id); // replaced, if the row had to be folded again
            if (current?.row) entries.push(current);
            else if (current) changed.add(id); // missed more meanwhile: the next write
          }
          if (journal.wantsRewrite(table.size)) {
            // Every entry's keys and row are written together: none may be behind its keys.
            for (const entry of table.entries()) if (entry.missed) await rowOf(entry);
            await journal.rewrite(table.entries());
          } else await journal.append(entries);
          for (const entry of entries) if (!changed.has(entry.id) && !isLiveStatus(entry.status) && entry.stored && !entry.missed) entry.row = undefined;
        } catch (error) {
          for (const id of ids) changed.add(id);
          throw error;
        }
      });
    return indexWriting;
  }

  /** Rows being read from the journal, by plan (concurrent asks share one read). */
  const rowReads = new Map<string, Promise<PlanListItem>>();
  /** Finished plans whose rows were read lately and are kept in memory, least recently read first. */
  const keptRows = new Map<IndexEntry, true>();

  /** Keeps a row just read in memory, letting the least recently read one go past `ROWS_KEPT`. */
  function keepRow(entry: IndexEntry, row: PlanListItem): void {
    if (table.get(entry.id) !== entry || entry.row || entry.missed) return;
    entry.row = row;
    keptRows.delete(entry);
    keptRows.set(entry, true);
    for (const [oldest] of keptRows) {
      if (keptRows.size <= ROWS_KEPT) break;
      keptRows.delete(oldest);
      if (!changed.has(oldest.id) && !isLiveStatus(oldest.status) && oldest.stored && !oldest.missed) oldest.row = undefined;
    }
  }

  /**
   * An entry's row: in memory, or read from the journal with the events it missed applied (then it
   * stays in memory until written; one without missed events stays among the rows kept lately read).
   * A row that cannot be read is rebuilt from the plan's log.
   */
  function rowOf(entry: IndexEntry): Promise<PlanListItem> {
    if (entry.row && !entry.missed) return Promise.resolve(entry.row);
    let read = rowReads.get(entry.id);
    if (!read) {
      read = (async () => {
        let row: PlanListItem | undefined;
        try {
          row = entry.stored ? await journal.readRow(entry) : undefined;
        } catch {
          row = undefined; // damaged: rebuilt below
        }
        const missed = entry.missed ?? [];
        // The row on disk must be the one the keys are ahead of by exactly the missed events.
        if (row && row.id === entry.id && row.seq + missed.length === entry.seq && (missed.length === 0 || missed[0]!.seq === row.seq + 1)) {
          for (const event of missed) applyToListRow(row, event);
          row.submittedBy = entry.submittedBy;
          // Kept (and written again) only if no further event was missed during the read.
          if (missed.length > 0 && entry.missed?.length === missed.length) {
            entry.row = row;
            entry.missed = undefined;
            changed.add(entry.id);
            scheduleIndex();
          } else if (missed.length === 0) keepRow(entry, row);
          return row;
        }
        const state = await load(entry.id, { force: true });
        if (!state) throw new PlanroomError("INTERNAL", `plan ${entry.id} is in the index but has no log`);
        return planListRow(state);
      })();
      rowReads.set(entry.id, read);
      void read.then(
        () => rowReads.delete(entry.id),
        () => rowReads.delete(entry.id),
      );
    }
    return read;
  }

  /** A plan's state from its snapshot and the events after it; its index entry is corrected if it lags behind (or always, with `force`). */
  async function load(planId: string, options: { force?: boolean } = {}): Promise<PlanState | undefined> {
    const lastSeq = await log.durableSeq(planId);
    if (!lastSeq) return undefined;
    const snapshot = await snapshots.read(planId);
    const state = await foldPlan(planId, lastSeq, snapshot, (after) => log.read(planId, after), { snapshotIsOwned: true });
    const entry = table.get(planId);
    if (state && (options.force || !entry || entry.seq < state.seq)) {
      table.putRow(planListRow(state), state.policy);
      changed.add(planId);
      scheduleIndex();
    }
    return state;
  }

  /** Runs `task` for every plan with a log file, a bounded number at a time. */
  async function forEveryPlanFile(task: (planId: string) => Promise<unknown>): Promise<number> {
    const ids = await log.listPlanIds();
    const queue = [...ids];
    await Promise.all(
      Array.from({ length: Math.min(REBUILD_CONCURRENCY, queue.length) }, async () => {
        for (let id = queue.pop(); id !== undefined; id = queue.pop()) await task(id);
      }),
    );
    return ids.length;
  }

  /** Builds the index from every plan's log (the journal was missing or damaged). */
  async function rebuildIndex(why: string): Promise<void> {
    table.replaceAll([]);
    const files = await forEveryPlanFile(load);
    changed = new Set();
    await journal.rewrite(table.entries());
    await journal.removeLegacy(dir);
    if (files > 0) options.onIndexRebuilt?.(why, table.size);
  }

  function serialise<T>(planId: string, task: () => Promise<T>): Promise<T> {
    const run = (leaseQueues.get(planId) ?? Promise.resolve()).catch(() => undefined).then(task);
    leaseQueues.set(planId, run);
    void run.finally(() => {
      if (leaseQueues.get(planId) === run) leaseQueues.delete(planId);
    }).catch(() => undefined);
    return run;
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
        indexReady = false;
        await snapshots.open();
        await log.open(async (replayed) => {
          const read = await journal.read();
          if (read.found === "entries") {
            table.replaceAll(read.entries);
            indexReady = true;
            // A plan file never holds a line its segment did not hold durably, and the index is
            // written before a segment is deleted: what the index may lack is in the replayed segments.
            for (const planId of replayed) await load(planId, { force: true });
          } else {
            await rebuildIndex(read.found === "missing" ? "no plan index" : `the plan index is damaged: ${read.why}`);
            indexReady = true;
          }
          await flushIndex(); // durable before the replayed segments are deleted
        });
      } catch (error) {
        indexReady = false;
        changed = new Set();
        await log.close().catch(() => undefined);
        await journal.close().catch(() => undefined);
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
      return load(planId);
    },
    async queryPlans(query) {
      assertOpen();
      const page = table.query(query);
      const plans = await Promise.all(page.entries.map(async (entry) => structuredClone({ row: await rowOf(entry), policy: entry.policy })));
      return page.next ? { plans, next: page.next } : { plans };
    },
    async countPlans() {
      assertOpen();
      return new Map(table.statusCounts());
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
    acquireLease(planId, owner) {
      assertOpen();
      const path = leasePath(planId);
      return serialise(planId, async () => {
        leases.check(planId, owner);
        const last = epochs.get(planId) ?? (await readJson<{ epoch: number }>(path))?.epoch ?? 0;
        const epoch = last + 1;
        await writeFileAtomic(path, JSON.stringify({ epoch, owner }));
        epochs.set(planId, epoch);
        leases.grant(planId, owner, epoch);
        return { epoch };
      });
    },
    async releaseLease(planId, owner) {
      assertOpen();
      await serialise(planId, async () => leases.release(planId, owner));
    },
    async flush() {
      assertOpen();
      await log.flush();
      await snapshots.flush();
      await flushIndex();
    },
    close() {
      if (!unlock) return Promise.resolve();
      // appends still in flight resolve first, and their snapshots are still accepted and written
      closing ??= (async () => {
        try {
          await log.close();
          await snapshots.flush();
          await flushIndex();
        } finally {
          snapshots.close();
          indexReady = false;
          await journal.close().catch(() => undefined);
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
