import type { PlanEvent, PlanState } from "../../shared/index.js";
import type { DurableView } from "./durable-view.js";
import type { RoomBatch } from "./room-batch.js";

/** How long one pass of broadcasting may take before the rest waits for the next pass of the event loop. */
const BROADCAST_SLICE_MS = 8;
/** A snapshot is saved at least this often (in events), and at every status change. */
const SNAPSHOT_EVERY = 1_000;

/** What the outbox tells its room. */
interface RoomOutboxDeps {
  /** An event was folded into the durable view: send it to the room's audience. */
  broadcast(event: PlanEvent): void;
  /** The durable status changed (told once per such event, after the fold). */
  statusChanged(): void;
  /** Time for a snapshot of the durable state. */
  snapshot(state: PlanState): void;
  /** `snapshot` threw. */
  snapshotFailed(error: unknown): void;
  /** A slice was left for a later pass, and that pass has shown what was left. */
  resumed(): void;
}

/**
 * Durable batches on their way to clients, shown in seq order: each event is folded into the
 * durable view and broadcast, and a batch's entries resolve once all its events are out. A big
 * batch (hundreds of events, each written to every member's socket) is sent in slices of about
 * `BROADCAST_SLICE_MS`, the rest in a later pass of the event loop, so that other clients are served
 * in between.
 */
export class RoomOutbox {
  private readonly batches: RoomBatch[] = [];
  private scheduled = false;
  private sinceSnapshot = 0;

  constructor(
    private readonly view: DurableView,
    private readonly deps: RoomOutboxDeps,
  ) {}

  /** Whether durable events wait to be shown. */
  get busy(): boolean {
    return this.batches.length > 0;
  }

  /** The batches waiting, oldest first. */
  get waiting(): readonly RoomBatch[] {
    return this.batches;
  }

  /** Queues a durable batch (shown after those queued before it). */
  push(batch: RoomBatch): void {
    this.batches.push(batch);
  }

  /** Shows what is queued: a slice now and the rest later, or (`all`) everything now. */
  flush(all: boolean): void {
    if (this.scheduled && !all) return; // the scheduled pass carries on, in order
    const deadline = all ? Number.POSITIVE_INFINITY : performance.now() + BROADCAST_SLICE_MS;
    while (this.batches.length > 0) {
      const batch = this.batches[0]!;
      while (batch.shown < batch.events.length) {
        if (performance.now() > deadline) {
          this.scheduled = true;
          setImmediate(() => {
            this.scheduled = false;
            this.flush(false);
            if (!this.busy) this.deps.resumed();
          });
          return;
        }
        const e = batch.events[batch.shown++]!;
        if (this.view.fold(e)) {
          batch.statusChanged = true;
          this.deps.statusChanged();
        }
        this.deps.broadcast(e);
      }
      this.batches.shift();
      this.sinceSnapshot += batch.events.length;
      if (batch.statusChanged || this.sinceSnapshot >= SNAPSHOT_EVERY) {
        this.sinceSnapshot = 0;
        try {
          this.deps.snapshot(this.view.required());
        } catch (error) {
          this.deps.snapshotFailed(error);
        }
      }
      for (const entry of batch.entries) entry.resolve(entry.events);
    }
  }
}
