import type { Clock } from "../../server/runtime/clock.js";

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

/** Lets every pending microtask (and promise chain) run before returning. */
export async function settle(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * A {@link Clock} whose time moves only when told to. `advance(ms)` runs the timers that fall due,
 * in time order (ties in the order they were set), letting microtasks settle before and after each.
 */
export class ManualClock implements Clock {
  private time: number;
  private nextId = 1;
  private timers: Timer[] = [];

  constructor(start = 1_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  /** Like Node's timers, a delay over 2³¹ − 1 ms (about 24.8 days) fires after 1 ms. */
  setTimeout(fn: () => void, ms: number): unknown {
    const delay = ms > 2 ** 31 - 1 ? 1 : Math.max(0, ms);
    const timer = { id: this.nextId++, at: this.time + delay, fn };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** How many timers are waiting. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, running every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    await settle();
    for (;;) {
      const due = this.nextDue(end);
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = Math.max(this.time, due.at);
      due.fn();
      await settle();
    }
    this.time = end;
    await settle();
  }

  private nextDue(end: number): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.timers) if (t.at <= end && (!best || t.at < best.at || (t.at === best.at && t.id < best.id))) best = t;
    return best;
  }
}
