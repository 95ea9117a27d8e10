import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { TextFile } from "lowdb/node";
import type { PlanState } from "../../../shared/index.js";

interface PendingSnapshot {
  state: PlanState;
  /** The seq it had when noted, and whether that seq was known durable then (then it is written without asking again). */
  seq: number;
  durable: boolean;
}

/**
 * The snapshots: `snapshots/<planId>.json`, one small file per plan (`{ seq, state }`), written
 * atomically (lowdb's `TextFile`: a temporary file renamed over the old one), so that loading a plan
 * reads its snapshot and only the events after it.
 *
 * A cache: the event log is the truth, and a lost or damaged snapshot only makes a load fold more
 * events. Nothing is written per event: a noted state is kept by reference and serialised when the
 * batch is written (at most once per `debounceMs`, and on `flush`); one whose seq is not durable
 * in the log yet waits for a later write.
 */
export class SnapshotFiles {
  private readonly dir: string;
  private readonly pending = new Map<string, PendingSnapshot>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    dataDir: string,
    /** The plan's last durable seq, or undefined when the log does not have it in memory. */
    private readonly durableSeq: (planId: string) => number | undefined,
    private readonly debounceMs = 5_000,
  ) {
    this.dir = join(dataDir, "snapshots");
  }

  /** Creates the folder. */
  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  /** Remembers a state to write as the plan's snapshot. */
  note(state: PlanState): void {
    const durable = this.durableSeq(state.plan.id);
    this.pending.set(state.plan.id, { state, seq: state.seq, durable: durable !== undefined && state.seq <= durable });
    this.schedule();
  }

  /** The plan's snapshot on disk, or undefined (none, unreadable, or not this plan's). */
  async read(planId: string): Promise<PlanState | undefined> {
    try {
      const text = await new TextFile(this.path(planId)).read();
      if (text === null) return undefined;
      const file = JSON.parse(text) as { seq?: unknown; state?: PlanState };
      if (file.state?.plan?.id !== planId || file.state.seq !== file.seq) return undefined;
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
      // A failed background write loses nothing: the snapshots stay noted and the next flush (at the
      // latest on shutdown, which reports its error) writes them again.
      this.flush().catch(() => undefined);
    }, this.debounceMs);
    this.timer.unref();
  }

  private async write(): Promise<void> {
    let waiting = false;
    for (const [planId, noted] of [...this.pending]) {
      const { state } = noted;
      const text = JSON.stringify(state);
      const seq = state.seq;
      const knownDurable = noted.durable && seq === noted.seq;
      if (!knownDurable && seq > (this.durableSeq(planId) ?? 0)) {
        waiting = true; // not durable yet: a later write
        continue;
      }
      await new TextFile(this.path(planId)).write(`{"seq":${seq},"state":${text}}`);
      // A newer snapshot noted during the write stays for the next one.
      if (this.pending.get(planId) === noted) this.pending.delete(planId);
    }
    if (waiting) this.schedule();
  }

  private path(planId: string): string {
    return join(this.dir, `${planId}.json`);
  }
}
