import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { Low } from "lowdb";
import { JSONFile } from "lowdb/node";
import { statusAfter, type PlanEvent, type PlanState, type PlanStatus } from "../../../shared/index.js";

/** One row of the plan index: what a list of plans shows without folding logs. */
interface PlanIndexEntry {
  id: string;
  status: PlanStatus;
  submitter: { id: string; name: string };
  createdAt: number;
  updatedAt: number;
  lastSeq: number;
}

interface IndexFile {
  plans: Record<string, PlanIndexEntry>;
}

interface SnapshotFile {
  seq: number;
  state: PlanState;
}

/**
 * The plan index (`index.json`, one lowdb document) and the snapshots (`snapshots/<planId>.json`,
 * one small lowdb file each, so that a snapshot write does not grow with the number of plans).
 *
 * Both are caches: the event log is the truth. Nothing here is written per event: changes are
 * noted in memory and written at most once per `debounceMs` (and on `flush`), so lowdb's
 * whole-file rewrite stays off the hot path. Snapshots are kept by reference and serialised when
 * written; one whose seq is not yet durable in the log waits for a later write.
 */
export class PlanIndex {
  private readonly db: Low<IndexFile>;
  private readonly snapshotDir: string;
  private readonly pendingSnapshots = new Map<string, PlanState>();
  private indexDirty = false;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    dir: string,
    private readonly durableSeq: (planId: string) => number,
    private readonly debounceMs = 5_000,
  ) {
    this.db = new Low<IndexFile>(new JSONFile<IndexFile>(join(dir, "index.json")), { plans: {} });
    this.snapshotDir = join(dir, "snapshots");
  }

  /** Reads the index. */
  async open(): Promise<void> {
    await mkdir(this.snapshotDir, { recursive: true });
    try {
      await this.db.read();
    } catch {
      this.db.data = { plans: {} }; // a damaged cache is rebuilt from the log
    }
    this.db.data.plans ??= {};
  }

  /** Notes appended events in the index (written later). */
  noteEvents(events: readonly PlanEvent[]): void {
    const plans = this.db.data.plans;
    for (const event of events) {
      let entry = plans[event.planId];
      if (event.type === "plan.submitted") {
        const { plan, submittedBy } = event.data;
        entry = { id: plan.id, status: plan.status, submitter: submittedBy, createdAt: plan.createdAt, updatedAt: event.at, lastSeq: event.seq };
        plans[event.planId] = entry;
      } else if (entry) {
        entry.status = statusAfter(event) ?? entry.status;
        entry.updatedAt = event.at;
        entry.lastSeq = event.seq;
      }
    }
    this.indexDirty = true;
    this.schedule();
  }

  /** Remembers a state to write as the plan's snapshot. */
  noteSnapshot(state: PlanState): void {
    this.pendingSnapshots.set(state.plan.id, state);
    this.schedule();
  }

  /** The plan's snapshot on disk, or undefined (none, unreadable, or not this plan's). */
  async readSnapshot(planId: string): Promise<PlanState | undefined> {
    try {
      const file = await new JSONFile<SnapshotFile>(this.snapshotPath(planId)).read();
      if (!file || file.state?.plan?.id !== planId || file.state.seq !== file.seq) return undefined;
      return file.state;
    } catch {
      return undefined;
    }
  }

  /** Writes what is pending now. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.writing = this.writing.catch(() => undefined).then(() => this.write());
    await this.writing;
  }

  /** Stops the timer (call `flush` first). */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // A failed background write loses nothing: the changes stay noted and the next flush (at the
      // latest on shutdown, which reports its error) writes them again.
      this.flush().catch(() => undefined);
    }, this.debounceMs);
    this.timer.unref();
  }

  private async write(): Promise<void> {
    for (const [planId, state] of [...this.pendingSnapshots]) {
      const text = JSON.stringify(state);
      const copy = JSON.parse(text) as PlanState;
      if (copy.seq > this.durableSeq(planId)) continue; // not durable yet: a later write
      await new JSONFile<SnapshotFile>(this.snapshotPath(planId)).write({ seq: copy.seq, state: copy });
      // A newer snapshot noted during the write stays for the next one.
      if (this.pendingSnapshots.get(planId) === state) this.pendingSnapshots.delete(planId);
    }
    if (this.indexDirty) {
      this.indexDirty = false;
      try {
        await this.db.write();
      } catch (error) {
        this.indexDirty = true;
        throw error;
      }
    }
    if (this.pendingSnapshots.size > 0) this.schedule();
  }

  private snapshotPath(planId: string): string {
    return join(this.snapshotDir, `${planId}.json`);
  }
}
