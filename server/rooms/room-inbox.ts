import type { PlanEvent } from "../../shared/index.js";

/**
 * Events of one plan that other writers committed, as they arrive (hints, the change feed, reads):
 * possibly out of order, twice, or with some missing. `take` hands out the run that continues what
 * the room has shown, each event once; what is missing for longer than `gapMs` is asked for
 * (`fill`), and asked again while it stays missing.
 */
export class RoomInbox {
  private readonly waiting = new Map<number, PlanEvent>();
  /** The highest seq known to be committed. */
  private known = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly fill: () => void,
    private readonly gapMs: number,
  ) {}

  /** Adds events past `shownSeq` (the others were shown already). */
  add(events: readonly PlanEvent[], shownSeq: number): void {
    for (const e of events) {
      if (e.seq > shownSeq) this.waiting.set(e.seq, e);
      if (e.seq > this.known) this.known = e.seq;
    }
  }

  /** Notes that events up to `seq` are committed; whether that is news. */
  committedUpTo(seq: number): boolean {
    if (seq <= this.known) return false;
    this.known = seq;
    return true;
  }

  /** The events that continue `shownSeq`, in order, removed from the inbox (older ones dropped); asks for the missing ones later. */
  take(shownSeq: number): PlanEvent[] {
    const run: PlanEvent[] = [];
    for (let next = shownSeq + 1; this.waiting.has(next); next++) {
      run.push(this.waiting.get(next)!);
      this.waiting.delete(next);
    }
    const upTo = shownSeq + run.length;
    for (const seq of this.waiting.keys()) if (seq <= upTo) this.waiting.delete(seq);
    if (this.waiting.size > 0 || this.known > upTo) this.later();
    return run;
  }

  /** Asks for the missing events after `gapMs` (once, however often it is called meanwhile). */
  later(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.fill();
    }, this.gapMs);
    this.timer.unref?.();
  }

  /** Forgets everything and stops asking (the room leaves memory). */
  clear(): void {
    this.waiting.clear();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
