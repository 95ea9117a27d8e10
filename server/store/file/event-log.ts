import { close, fdatasync, fdatasyncSync, ftruncateSync, open as openFd, writeSync } from "node:fs";
import { mkdir, open, readdir, truncate, unlink } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { PlanIdSchema, PlanroomError, type PlanEvent } from "../../../shared/index.js";
import { checkAppend } from "../append-check.js";
import { fsyncDir } from "./atomic-file.js";
import { defaultDescriptorBudget, FdCache } from "./fd-cache.js";
import { eventLine } from "./json-lines.js";
import { parsePlanLog, readPlanLogBuffer, scanPlanLog } from "./plan-log-file.js";
import { replayWriteAheadLog } from "./wal-replay.js";

const fdatasyncAsync = promisify(fdatasync);
const openAsync = promisify(openFd);
const closeAsync = promisify(close);

/** Options of an {@link EventLog}. */
export interface EventLogOptions {
  /** The data directory; the log lives in `events/` and `wal/` below it. */
  dir: string;
  /** Plan log descriptors kept open at most (LRU). Default: a quarter of the process's open-file limit, 256–16,384. */
  maxOpenFiles?: number;
  /** A write-ahead segment this large is checkpointed and replaced. Default 64 MiB. */
  segmentBytes?: number;
  /** Told after each successful group commit (e.g. to feed metrics; the log knows nothing of them). */
  onCommit?: ((commit: EventLogCommit) => void) | undefined;
  /**
   * Told of each append's events the moment they are durable, before the append resolves and
   * before the segment holding them can be retired (the plan index is kept from it).
   */
  onDurable?: ((events: readonly PlanEvent[]) => void) | undefined;
  /**
   * Awaited before a segment is deleted at a checkpoint: whatever was derived from its events must
   * be durable by then, since the segment is what a recovery would derive it from again.
   */
  beforeRetire?: (() => Promise<void>) | undefined;
  /** Durable bytes held back from the plan files before they are written there (and at every checkpoint). Default 4 MiB. */
  unwrittenBytes?: number;
  /** Plan entries kept in memory before idle ones are dropped (they are read again on use). Default 10,000. */
  maxEntries?: number;
  /**
   * Whether a plan without an entry in memory may have a file (then it is read before the plan's
   * first append); false for a plan known to be new, whose first append is queued at once. Default:
   * always true. The store answers from its plan index, which knows every stored plan once open.
   */
  mayHaveFile?: ((planId: string) => boolean) | undefined;
}


/** One group commit, as told to {@link EventLogOptions.onCommit}. */
export interface EventLogCommit {
  /** `append` calls it committed. */
  appends: number;
  /** Events it committed. */
  events: number;
  /** Milliseconds from the start of its writes to the end of its fdatasync. */
  commitMs: number;
  /** Milliseconds of its fdatasync. */
  fsyncMs: number;
}

/** Counters that show group commit at work. */
export interface EventLogStats {
  /** Commits (one write-ahead write and one fdatasync each). */
  batches: number;
  /** `append` calls committed. */
  appends: number;
  /** Events committed. */
  events: number;
  /** fdatasync calls on the hot path. */
  fsyncs: number;
  /** Checkpoints done (segments retired). */
  checkpoints: number;
  /** Milliseconds spent waiting for commit fdatasyncs. */
  fsyncMs: number;
}

interface PlanEntry {
  /** Last seq accepted (queued or committed). */
  lastSeq: number;
  /** Last seq committed (durable). */
  durableSeq: number;
  /** Bytes of the plan's log that hold durable events: those in its file and those not written to it yet. */
  durableSize: number;
  /** Bytes of the plan file that hold good lines (what is written of the durable part). */
  writtenSize: number;
  /** Durable lines not written to the plan file yet (they are in the write-ahead segment). */
  unwritten: string;
  /**
   * Bytes of the file known to hold valid events (validated when appended, or when read since the
   * file was first read): reading them again parses the JSON without checking it against the schema.
   */
  checkedSize: number;
}

interface PendingAppend {
  planId: string;
  events: readonly PlanEvent[];
  text: string;
  lastSeq: number;
  count: number;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * The durable event log: per-plan JSON-lines files (`events/<planId>.jsonl`, line k = seq k) for
 * cheap reads, made durable through one shared write-ahead segment (`wal/<n>.wal`).
 *
 * Why a shared write-ahead segment: on this kind of disk an fdatasync costs ~250 µs and 100 plan
 * files fsynced in parallel ~5.5 ms per round, which caps per-plan-file durability near 18k
 * events/s with 100 writers. With the shared segment, a commit is one write and one fdatasync for
 * every plan in the batch, so the cost of an event depends neither on how many plans are stored nor
 * on how many append at once.
 *
 * Group commit: `append` queues its lines; a single flusher writes each batch (one write to the
 * segment, one fdatasync) and then resolves every waiter of the batch; appends that arrive during a
 * commit go into the next batch.
 *
 * Plan files written later: a commit does not touch the plan files. Their durable lines are held in
 * memory (reads merge them with the file) and written out together once 4 MiB are held
 * (`unwrittenBytes`), at a checkpoint, and on close — one write per plan for many commits' worth
 * of lines. Writing thousands of plan files in every commit cost a write per plan per commit, and
 * (ext4 ordering data before metadata) made the segment's fdatasync wait for all those files:
 * 26 ms per commit at 4,000 writers. It also means a plan file never holds a line its segment does
 * not hold durably. Plan files are written through a bounded LRU of descriptors ({@link FdCache}),
 * whose budget defaults to a quarter of the process's open-file limit; beyond it, the missing
 * files are opened and the evicted ones closed on the libuv thread pool, a chunk at a time, never
 * synchronously on the event loop.
 *
 * Crash: an acknowledged event is in the fsynced segment or in an fsynced plan file (a segment is
 * deleted only once the lines it holds are written to the plan files and those fsynced). On open,
 * the segments are replayed into the plan files they name, fsynced and deleted; a plan file loses a torn
 * last line (truncated) when it is first used. A write or fsync error fails the log: every later
 * append rejects until it is reopened.
 *
 * Lazy: opening reads the segments only, never every plan file. A plan's entry (last seq, durable
 * size) is read from its file the first time the plan is appended to or read; appends that arrive
 * meanwhile wait for it, in call order. Idle entries beyond `maxEntries` are dropped again.
 */
export class EventLog {
  /** Group-commit counters. */
  readonly stats: EventLogStats = { batches: 0, appends: 0, events: 0, fsyncs: 0, checkpoints: 0, fsyncMs: 0 };
  private readonly eventsDir: string;
  private readonly walDir: string;
  private readonly segmentBytes: number;
  private readonly fds: FdCache;
  private readonly plans = new Map<string, PlanEntry>();
  /** Plans whose entry is being read, with the appends queued behind it (in call order). */
  private readonly loading = new Map<string, Promise<unknown>>();
  private readonly maxEntries: number;
  /** Entries at which idle ones are dropped next. */
  private nextSweep: number;
  private readonly onDurable: ((events: readonly PlanEvent[]) => void) | undefined;
  private readonly beforeRetire: (() => Promise<void>) | undefined;
  private readonly mayHaveFile: (planId: string) => boolean;
  private readonly maxUnwritten: number;
  /** Plans with durable lines not written to their files yet, and how many bytes those are. */
  private unwrittenPlans = new Set<string>();
  private unwrittenBytes = 0;
  private pending: PendingAppend[] = [];
  private flushing: Promise<void> | undefined;
  private failure: Error | undefined;
  private segment = { fd: -1, path: "", number: 0, bytes: 0 };
  /** Plans written since the current segment began: fsynced at its checkpoint. */
  private dirty = new Set<string>();
  private checkpointing: Promise<void> = Promise.resolve();
  private opened = false;
  private readonly onCommit: ((commit: EventLogCommit) => void) | undefined;

  constructor(options: EventLogOptions) {
    this.onCommit = options.onCommit;
    this.onDurable = options.onDurable;
    this.beforeRetire = options.beforeRetire;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.nextSweep = this.maxEntries;
    this.mayHaveFile = options.mayHaveFile ?? (() => true);
    this.maxUnwritten = options.unwrittenBytes ?? 4 * 1024 * 1024;
    this.eventsDir = join(options.dir, "events");
    this.walDir = join(options.dir, "wal");
    this.segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
    this.fds = new FdCache(options.maxOpenFiles ?? defaultDescriptorBudget());
  }

  /**
   * Replays what a crash left in the write-ahead segments and opens a fresh segment. `afterReplay`
   * is awaited with the plans the segments held once their lines are in the plan files, before the
   * segments are deleted: what is derived from those plans must be made durable in it (reads work
   * already; appends do not).
   */
  async open(afterReplay?: (replayed: Set<string>) => Promise<void>): Promise<void> {
    await mkdir(this.eventsDir, { recursive: true });
    await mkdir(this.walDir, { recursive: true });
    this.plans.clear();
    this.loading.clear();
    this.failure = undefined;
    this.unwrittenPlans = new Set();
    this.unwrittenBytes = 0;
    this.dirty = new Set();
    this.nextSweep = this.maxEntries;
    const replayed = await replayWriteAheadLog(this.walDir, this.eventsDir, async (planId) => (await this.loadEntry(planId))?.entry ?? this.entryFor(planId));
    await afterReplay?.(replayed.plans);
    await replayed.retire();
    this.segment = { fd: -1, path: "", number: replayed.nextSegment, bytes: 0 };
    await this.startSegment();
    this.opened = true;
  }

  /** Why appends are refused now (not open, or a failed write), or undefined when they are accepted. */
  get refusal(): string | undefined {
    if (!this.opened) return "the event log is not open";
    return this.failure ? `the event log failed and must be reopened: ${this.failure.message}` : undefined;
  }

  /** Ids of every plan with a log file (a directory listing: for rebuilding what is derived from the logs). */
  async listPlanIds(): Promise<string[]> {
    const ids: string[] = [];
    for (const name of await readdir(this.eventsDir)) {
      if (!name.endsWith(".jsonl")) continue;
      const planId = name.slice(0, -".jsonl".length);
      if (PlanIdSchema.safeParse(planId).success) ids.push(planId);
    }
    return ids;
  }

  /** The last durable seq of a plan whose entry is in memory; undefined otherwise (then nothing of it is being written). */
  knownDurableSeq(planId: string): number | undefined {
    return this.plans.get(planId)?.durableSeq;
  }

  /** The last durable seq of a plan, its file read if need be; undefined when the plan has no log. */
  async durableSeq(planId: string): Promise<number | undefined> {
    if (!PlanIdSchema.safeParse(planId).success) throw new PlanroomError("VALIDATION", `invalid plan id "${planId}"`);
    await this.loading.get(planId)?.then(
      () => undefined,
      () => undefined,
    );
    return (await this.loadEntry(planId))?.entry.durableSeq;
  }

  /** Queues the events of one plan; resolves once they are durable. See {@link Store.append}. */
  append(events: PlanEvent[]): Promise<void> {
    try {
      if (!this.opened) throw new PlanroomError("INVALID_STATE", "the event log is not open");
      if (this.failure) throw new PlanroomError("INTERNAL", `the event log failed and must be reopened: ${this.failure.message}`);
      const planId = events[0]?.planId;
      const first = events[0];
      const knownNew = first?.seq === 1 && first.type === "plan.submitted" && planId !== undefined && !this.mayHaveFile(planId);
      if (planId !== undefined && PlanIdSchema.safeParse(planId).success && (this.loading.has(planId) || (!this.plans.has(planId) && !knownNew))) {
        // Queue behind the entry's read (and behind earlier appends waiting on it), keeping call order.
        const queued = (this.loading.get(planId) ?? this.loadEntry(planId)).then(() => ({ durable: this.appendLoaded(events) }));
        this.loading.set(planId, queued);
        void queued.then(
          () => this.loading.get(planId) === queued && this.loading.delete(planId),
          () => this.loading.get(planId) === queued && this.loading.delete(planId),
        );
        return queued.then(({ durable }) => durable);
      }
      return this.appendLoaded(events);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Queues an accepted call whose plan entry is in memory (a call accepted before `close` is still queued during it). */
  private appendLoaded(events: PlanEvent[]): Promise<void> {
    try {
      if (this.failure) throw new PlanroomError("INTERNAL", `the event log failed and must be reopened: ${this.failure.message}`);
      const checked = checkAppend(events, (id) => this.plans.get(id)?.lastSeq ?? 0);
      if (checked === undefined) return Promise.resolve();
      const { planId } = checked;
      const entry = this.entryFor(planId);
      let text = "";
      for (const event of checked.parsed) text += eventLine(event);
      entry.lastSeq += events.length;
      const lastSeq = entry.lastSeq;
      return new Promise<void>((resolve, reject) => {
        this.pending.push({ planId, events: checked.parsed, text, lastSeq, count: events.length, resolve, reject });
        this.flushing ??= this.runFlusher();
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The plan's entry, created empty (a new plan) when there is none. */
  private entryFor(planId: string): PlanEntry {
    let entry = this.plans.get(planId);
    if (!entry) {
      this.dropIdleEntries(); // before: the new entry is idle until its append is queued
      this.plans.set(planId, (entry = { lastSeq: 0, durableSeq: 0, durableSize: 0, writtenSize: 0, unwritten: "", checkedSize: 0 }));
    }
    return entry;
  }

  /**
   * The plan's entry, read from its file unless it is in memory already; a torn last line (a crash
   * during a write that was never acknowledged) is truncated away. `buf` is the file's good bytes
   * when it was read now. Undefined when the plan has neither an entry nor a file.
   */
  private async loadEntry(planId: string): Promise<{ entry: PlanEntry; buf?: Buffer } | undefined> {
    const known = this.plans.get(planId);
    if (known) return { entry: known };
    const path = this.planPath(planId);
    const buf = await readPlanLogBuffer(path);
    const meanwhile = this.plans.get(planId); // read meanwhile by another call
    if (meanwhile) return { entry: meanwhile };
    if (!buf) return undefined;
    const { lastSeq, size } = scanPlanLog(buf, path, planId);
    if (size < buf.length) await truncate(path, size);
    const after = this.plans.get(planId);
    if (after) return { entry: after };
    this.dropIdleEntries();
    const entry = { lastSeq, durableSeq: lastSeq, durableSize: size, writtenSize: size, unwritten: "", checkedSize: 0 };
    this.plans.set(planId, entry);
    return { entry, buf: buf.subarray(0, size) };
  }

  /** Drops entries of plans with nothing queued, unwritten since the last checkpoint, once there are too many. */
  private dropIdleEntries(): void {
    // Not during the replay at open, which moves entries forward before it writes their files.
    if (!this.opened || this.plans.size < this.nextSweep) return;
    for (const [planId, entry] of this.plans) {
      if (this.plans.size <= this.maxEntries / 2) break;
      if (entry.lastSeq === entry.durableSeq && entry.unwritten === "" && !this.loading.has(planId)) this.plans.delete(planId);
    }
    // Entries still busy stay; the next sweep waits for a quarter more, so sweeps stay rare.
    this.nextSweep = Math.max(this.maxEntries, Math.ceil(this.plans.size * 1.25));
  }

  /** Durable events of a plan with seq > afterSeq (at most `limit`), validated. */
  async read(planId: string, afterSeq = 0, limit?: number): Promise<PlanEvent[]> {
    if (!PlanIdSchema.safeParse(planId).success) throw new PlanroomError("VALIDATION", `invalid plan id "${planId}"`);
    const from = Math.max(0, Math.floor(afterSeq));
    // Appends queued behind the entry's read go first: their entry is the one to read against.
    await this.loading.get(planId)?.then(
      () => undefined,
      () => undefined,
    );
    const loaded = await this.loadEntry(planId);
    if (!loaded || from >= loaded.entry.durableSeq) return [];
    const { entry } = loaded;
    const path = this.planPath(planId);
    let log: Buffer | undefined;
    for (let file = loaded.buf, tries = 0; log === undefined; file = undefined, tries++) {
      if (tries === 3) throw new PlanroomError("INTERNAL", `plan ${planId}: its log file is shorter than what was written to it`);
      const onDisk = file ?? (entry.writtenSize > 0 ? await readPlanLogBuffer(path) : Buffer.alloc(0));
      if (!onDisk) return [];
      // Taken together, once the file is read: lines written to the file meanwhile are in it now.
      if (onDisk.length >= entry.writtenSize) log = entry.unwritten === "" ? onDisk.subarray(0, entry.writtenSize) : Buffer.concat([onDisk.subarray(0, entry.writtenSize), Buffer.from(entry.unwritten)]);
    }
    const size = entry.durableSize;
    const events = parsePlanLog(log, path, planId, { afterSeq: from, limit: size, checkedBytes: entry.checkedSize, maxEvents: limit });
    // A read of the whole durable part checked every line of it; lines skipped unparsed were not.
    if (from === 0 && limit === undefined && entry.checkedSize < size && entry.durableSize >= size) entry.checkedSize = size;
    return events;
  }

  /** Resolves once everything appended so far is durable (rejects if the log failed). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.failure) throw new PlanroomError("INTERNAL", `the event log failed: ${this.failure.message}`);
  }

  /** Flushes, checkpoints (plan files fsynced, segment deleted) and closes every file. */
  async close(): Promise<void> {
    if (!this.opened) return;
    this.opened = false;
    // Calls accepted while their plan's entry was being read are queued first.
    while (this.loading.size > 0) await Promise.allSettled([...this.loading.values()]);
    while (this.flushing) await this.flushing;
    await this.checkpointing;
    if (!this.failure) await this.writeUnwritten().catch((error: unknown) => (this.failure ??= asError(error)));
    if (!this.failure) await this.checkpoint(this.segment, this.dirty);
    else await closeAsync(this.segment.fd);
    this.dirty = new Set();
    await this.fds.closeAll();
  }

  private planPath(planId: string): string {
    return join(this.eventsDir, `${planId}.jsonl`);
  }

  private async runFlusher(): Promise<void> {
    // let the appends of this tick join the first batch
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        await this.commit(batch);
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async commit(batch: PendingAppend[]): Promise<void> {
    if (this.failure) {
      for (const item of batch) item.reject(new PlanroomError("INTERNAL", `the event log failed: ${this.failure.message}`));
      return;
    }
    const byPlan = new Map<string, { text: string; lastSeq: number }>();
    let all = "";
    for (const item of batch) {
      all += item.text;
      const group = byPlan.get(item.planId);
      if (group) {
        group.text += item.text;
        group.lastSeq = item.lastSeq;
      } else byPlan.set(item.planId, { text: item.text, lastSeq: item.lastSeq });
    }
    const segmentBefore = this.segment.bytes;
    const commitStart = performance.now();
    let fsyncMs: number;
    try {
      const bytes = writeAll(this.segment.fd, all);
      this.segment.bytes += bytes;
      const syncStart = performance.now();
      await fdatasyncAsync(this.segment.fd);
      fsyncMs = performance.now() - syncStart;
      this.stats.fsyncMs += fsyncMs;
    } catch (error) {
      this.failure = asError(error);
      // A refusal must leave nothing behind (the caller will retry): cut the batch off again.
      const undone = this.rollBack(segmentBefore);
      for (const item of batch) {
        item.reject(
          undone
            ? new PlanroomError("INTERNAL", `event log write failed, nothing was stored: ${String(error)}`)
            : new PlanroomError("OUTCOME_UNKNOWN", `event log write failed and could not be undone, the events may or may not be stored: ${String(error)}`),
        );
      }
      return;
    }
    this.stats.batches++;
    this.stats.fsyncs++;
    for (const [planId, group] of byPlan) {
      const entry = this.plans.get(planId)!;
      const bytes = Buffer.byteLength(group.text);
      // What was appended was validated: it extends the checked part if that reached the end.
      if (entry.checkedSize === entry.durableSize) entry.checkedSize += bytes;
      entry.durableSeq = group.lastSeq;
      entry.durableSize += bytes;
      // Durable in the segment; written to the plan file later, with the lines that follow it.
      entry.unwritten += group.text;
      this.unwrittenBytes += bytes;
      this.unwrittenPlans.add(planId);
    }
    let events = 0;
    for (const item of batch) {
      this.stats.appends++;
      this.stats.events += item.count;
      events += item.count;
      try {
        this.onDurable?.(item.events);
      } catch {
        // What is derived from the log is not the log: its failure does not fail the append.
      }
      item.resolve();
    }
    try {
      this.onCommit?.({ appends: batch.length, events, commitMs: performance.now() - commitStart, fsyncMs });
    } catch {
      // An observer's failure is not the log's.
    }
    try {
      if (this.segment.bytes >= this.segmentBytes) await this.rotate();
      else if (this.unwrittenBytes >= this.maxUnwritten) await this.writeUnwritten();
    } catch (error) {
      this.failure ??= asError(error);
    }
  }

  /**
   * Writes the durable lines held back to their plan files, a budget's worth of descriptors at a
   * time (opened together off the event loop), one write per plan; they are fsynced at the next
   * checkpoint. A write that fails fails the log (every later append is refused); the lines stay
   * held, so reads still see them, and the segment that holds them is kept for the next open.
   */
  private async writeUnwritten(): Promise<void> {
    const ids = [...this.unwrittenPlans];
    this.unwrittenPlans = new Set();
    try {
      await this.withPlanFds(ids, (planId, fd) => {
        const entry = this.plans.get(planId);
        if (!entry || entry.unwritten === "") return;
        const bytes = writeAll(fd, entry.unwritten);
        entry.writtenSize += bytes;
        entry.unwritten = "";
        this.unwrittenBytes -= bytes;
        this.dirty.add(planId);
      });
    } catch (error) {
      for (const id of ids) if (this.plans.get(id)?.unwritten) this.unwrittenPlans.add(id);
      throw error;
    }
  }

  /**
   * Truncates the segment back to its size before a failed commit and makes that durable
   * (truncating needs no free space; the plan files were not written). True when it was undone.
   */
  private rollBack(segmentBytes: number): boolean {
    try {
      ftruncateSync(this.segment.fd, segmentBytes);
      fdatasyncSync(this.segment.fd);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Calls `use` with the descriptor of each plan's file, synchronously, a budget's worth of plans
   * at a time (their missing descriptors opened together off the event loop).
   */
  private async withPlanFds(planIds: string[], use: (planId: string, fd: number) => void): Promise<void> {
    for (let at = 0; at < planIds.length; at += this.fds.capacity) {
      const chunk = planIds.slice(at, at + this.fds.capacity);
      const fds = await this.fds.acquire(chunk.map((id) => this.planPath(id)));
      for (const [i, planId] of chunk.entries()) use(planId, fds[i]!);
    }
  }

  /** Starts a new segment and checkpoints the old one in the background (one at a time). */
  private async rotate(): Promise<void> {
    // The checkpoint of the old segment needs every line it holds in the plan files.
    await this.writeUnwritten();
    const old = this.segment;
    const dirty = this.dirty;
    this.dirty = new Set();
    this.segment = { fd: -1, path: "", number: old.number + 1, bytes: 0 };
    await this.startSegment();
    const previous = this.checkpointing;
    this.checkpointing = previous.then(() => this.checkpoint(old, dirty)).catch((error: unknown) => {
      this.failure ??= asError(error);
    });
  }

  private async startSegment(): Promise<void> {
    this.segment.path = join(this.walDir, `${String(this.segment.number).padStart(10, "0")}.wal`);
    this.segment.fd = await openAsync(this.segment.path, "a");
    await fsyncDir(this.walDir);
  }

  /** Makes the plan files written during `segment` durable, then deletes the segment. */
  private async checkpoint(segment: { fd: number; path: string }, dirty: Set<string>): Promise<void> {
    const ids = [...dirty];
    const workers = Array.from({ length: Math.min(8, ids.length) }, async () => {
      for (let id = ids.pop(); id !== undefined; id = ids.pop()) {
        const fh = await open(this.planPath(id), "r");
        try {
          await fh.datasync();
        } finally {
          await fh.close();
        }
      }
    });
    try {
      await Promise.all(workers);
      if (dirty.size > 0) await fsyncDir(this.eventsDir);
    } catch (error) {
      await closeAsync(segment.fd).catch(() => undefined);
      throw error;
    }
    try {
      await this.beforeRetire?.();
    } catch {
      // What is derived from the log could not be made durable: the segment stays, and the next
      // open replays it and derives again. The log itself is fine.
      await closeAsync(segment.fd).catch(() => undefined);
      return;
    }
    await closeAsync(segment.fd);
    await unlink(segment.path);
    await fsyncDir(this.walDir);
    this.stats.checkpoints++;
  }
}

function writeAll(fd: number, text: string): number {
  const buf = Buffer.from(text, "utf8");
  let written = 0;
  while (written < buf.length) written += writeSync(fd, buf, written, buf.length - written);
  return buf.length;
}

/** `error` if it is an Error, else an Error that carries it as its `cause`. */
function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error("the write failed with a non-Error value", { cause: error });
}
