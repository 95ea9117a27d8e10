import { applyToListRow, planListRow, PlanroomError, type PlanEvent, type PlanListItem, type PlanState, type PlanStatus } from "../../../shared/index.js";
import { PlanIndexTable, type IndexEntry } from "../plan-index-table.js";
import { isLiveStatus, type PlanPage, type PlanQuery } from "../plan-query.js";
import { PlanIndexJournal } from "./plan-index-journal.js";

/** Rows of finished plans kept in memory once read (a list's next call for the same page reads none). */
const ROWS_KEPT = 2_000;
/** Plans folded at once when the index is rebuilt from the logs. */
const REBUILD_CONCURRENCY = 16;

/** What the index needs from its store. */
export interface FilePlanIndexDeps {
  /** The data directory. */
  dir: string;
  /** How long changes wait before they are written. */
  debounceMs: number;
  /** A plan's state folded from its snapshot and log (undefined: no such plan). */
  fold(planId: string): Promise<PlanState | undefined>;
  /** Every plan with a log. */
  listPlanIds(): Promise<string[]>;
  /** Told when the index had to be rebuilt, with why and how many plans. */
  onRebuilt?: ((why: string, plans: number) => void) | undefined;
}

/**
 * The file store's plan index: a {@link PlanIndexTable} in memory (every plan's keys; the rows of
 * live plans, of plans changed since the last write and of the finished plans listed lately), kept
 * from durable events, and a {@link PlanIndexJournal} on disk (every plan's keys and row), written in
 * the background at most every `debounceMs`, and on `flush`. Rows of finished plans are read from
 * the journal when a query returns them. A cache of the logs: missing or damaged, it is rebuilt.
 */
export class FilePlanIndex {
  private readonly table = new PlanIndexTable();
  private readonly journal: PlanIndexJournal;
  /** Plans whose entries changed since the journal was last written. */
  private changed = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** Whether the table is whole (read or rebuilt): only then is it written. */
  private ready = false;
  /** Rows being read from the journal, by plan (concurrent asks share one read). */
  private readonly rowReads = new Map<string, Promise<PlanListItem>>();
  /** Finished plans whose rows were read lately and are kept in memory, least recently read first. */
  private readonly keptRows = new Map<IndexEntry, true>();

  constructor(private readonly deps: FilePlanIndexDeps) {
    this.journal = new PlanIndexJournal(deps.dir);
  }

  /**
   * Reads the journal (or rebuilds it from the logs when it is missing or damaged), corrects the
   * plans in `replayed` (their entries may lag behind the segments just replayed) and writes that
   * before it resolves.
   */
  async open(replayed: ReadonlySet<string>): Promise<void> {
    this.ready = false;
    this.changed = new Set();
    const read = await this.journal.read();
    if (read.found === "entries") {
      this.table.replaceAll(read.entries);
      this.ready = true;
      for (const planId of replayed) await this.refold(planId);
    } else {
      await this.rebuild(read.found === "missing" ? "no plan index" : `the plan index is damaged: ${read.why}`);
      this.ready = true;
    }
    await this.flush();
  }

  /** Whether the index knows the plan (once open it knows every stored plan: one it does not know is new). */
  knows(planId: string): boolean {
    return !this.ready || this.table.get(planId) !== undefined;
  }

  /** Folds durable events into their plans' entries (written later). */
  noteEvents(events: readonly PlanEvent[]): void {
    for (const id of this.table.apply(events)) this.changed.add(id);
    this.schedule();
  }

  /** Corrects a plan's entry from its folded state, if the entry lags behind it (or always, with `force`). */
  correct(state: PlanState, force = false): void {
    const entry = this.table.get(state.plan.id);
    if (!force && entry && entry.seq >= state.seq) return;
    this.table.putRow(planListRow(state), state.policy);
    this.changed.add(state.plan.id);
    this.schedule();
  }

  /** One page of a query, rows read from the journal where they are not in memory. */
  async query(query: PlanQuery): Promise<PlanPage> {
    const page = this.table.query(query);
    const plans = await Promise.all(page.entries.map(async (entry) => structuredClone({ row: await this.rowOf(entry), policy: entry.policy })));
    return page.next ? { plans, next: page.next } : { plans };
  }

  /** The plan's status as of its durable events (undefined: no such plan). */
  statusOf(planId: string): PlanStatus | undefined {
    return this.table.get(planId)?.status;
  }

  /** Plans per status. */
  counts(): Map<PlanStatus, number> {
    return this.table.statusCounts();
  }

  /**
   * Writes the changed entries (one append, or the whole index when the journal is mostly
   * superseded lines); then the rows of finished plans are let go from memory.
   */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.ready) return this.writing.catch(() => undefined);
    this.writing = this.writing.catch(() => undefined).then(() => this.write());
    return this.writing;
  }

  /** Stops the timer and closes the journal (call `flush` first); the index can be opened again. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.ready = false;
    await this.journal.close().catch(() => undefined);
  }

  private schedule(): void {
    if (this.timer || this.changed.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // A failed background write loses nothing: the entries stay noted for the next flush.
      this.flush().catch(() => undefined);
    }, this.deps.debounceMs);
    this.timer.unref();
  }

  private async write(): Promise<void> {
    const ids = this.changed;
    this.changed = new Set();
    try {
      const entries: IndexEntry[] = [];
      for (const id of ids) {
        const entry = this.table.get(id);
        if (!entry) continue;
        await this.rowOf(entry); // a row that missed events is brought up to date first
        const current = this.table.get(id); // replaced, if the row had to be folded again
        if (current?.row) entries.push(current);
        else if (current) this.changed.add(id); // missed more meanwhile: the next write
      }
      if (this.journal.wantsRewrite(this.table.size)) {
        // Every entry's keys and row are written together: none may be behind its keys.
        for (const entry of this.table.entries()) if (entry.missed) await this.rowOf(entry);
        await this.journal.rewrite(this.table.entries());
      } else await this.journal.append(entries);
      for (const entry of entries) if (this.releasable(entry)) entry.row = undefined;
    } catch (error) {
      for (const id of ids) this.changed.add(id);
      throw error;
    }
  }

  /** Whether an entry's row may leave memory: a finished plan's, written, with nothing pending. */
  private releasable(entry: IndexEntry): boolean {
    return !this.changed.has(entry.id) && !isLiveStatus(entry.status) && entry.stored !== undefined && !entry.missed;
  }

  /** Keeps a row just read in memory, letting the least recently read one go past `ROWS_KEPT`. */
  private keepRow(entry: IndexEntry, row: PlanListItem): void {
    if (this.table.get(entry.id) !== entry || entry.row || entry.missed) return;
    entry.row = row;
    this.keptRows.delete(entry);
    this.keptRows.set(entry, true);
    for (const [oldest] of this.keptRows) {
      if (this.keptRows.size <= ROWS_KEPT) break;
      this.keptRows.delete(oldest);
      if (this.releasable(oldest)) oldest.row = undefined;
    }
  }

  /**
   * An entry's row: in memory, or read from the journal with the events it missed applied (then it
   * stays in memory until written; one without missed events stays among the rows kept lately read).
   * A row that cannot be read, or that is not the one its keys are ahead of, is folded again.
   */
  private rowOf(entry: IndexEntry): Promise<PlanListItem> {
    if (entry.row && !entry.missed) return Promise.resolve(entry.row);
    let read = this.rowReads.get(entry.id);
    if (!read) {
      read = this.readRow(entry);
      this.rowReads.set(entry.id, read);
      void read.then(
        () => this.rowReads.delete(entry.id),
        () => this.rowReads.delete(entry.id),
      );
    }
    return read;
  }

  private async readRow(entry: IndexEntry): Promise<PlanListItem> {
    let row: PlanListItem | undefined;
    try {
      row = entry.stored ? await this.journal.readRow(entry) : undefined;
    } catch {
      row = undefined; // damaged: folded again below
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
        this.changed.add(entry.id);
        this.schedule();
      } else if (missed.length === 0) this.keepRow(entry, row);
      return row;
    }
    const state = await this.refold(entry.id);
    if (!state) throw new PlanroomError("INTERNAL", `plan ${entry.id} is in the index but has no log`);
    return planListRow(state);
  }

  /** Folds a plan again and puts its entry from the state. */
  private async refold(planId: string): Promise<PlanState | undefined> {
    const state = await this.deps.fold(planId);
    if (state) this.correct(state, true);
    return state;
  }

  /** Builds the index from every plan's log (the journal was missing or damaged). */
  private async rebuild(why: string): Promise<void> {
    this.table.replaceAll([]);
    const ids = await this.deps.listPlanIds();
    const queue = [...ids];
    await Promise.all(
      Array.from({ length: Math.min(REBUILD_CONCURRENCY, queue.length) }, async () => {
        for (let id = queue.pop(); id !== undefined; id = queue.pop()) await this.refold(id);
      }),
    );
    this.changed = new Set();
    await this.journal.rewrite(this.table.entries());
    await this.journal.removeLegacy(this.deps.dir);
    if (ids.length > 0) this.deps.onRebuilt?.(why, this.table.size);
  }
}
