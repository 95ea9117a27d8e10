import type { Clock } from "../runtime/clock.js";

/** What the watch needs to know of an attempt. */
export interface Watched {
  /** Clock time at which the attempt times out. */
  readonly deadline: number;
  /** Set once the attempt is over; it is then forgotten. */
  readonly settled: boolean;
  /** Set once its deadline moved out of start order (it paused): the watch forgets it, another timer watches it. */
  readonly detached?: boolean;
}

/**
 * Watches the deadlines of running attempts with a single timer. Attempts are watched in start
 * order and all get the same timeout, so their deadlines grow with it: a FIFO suffices, and each
 * attempt costs O(1) (no timer set and cleared per attempt). An attempt whose deadline moves (it
 * paused while waiting for its agent) is `detached`: the watch skips it and its owner times it.
 */
export class DeadlineWatch<T extends Watched> {
  private queue: T[] = [];
  private head = 0;
  private timer: unknown = undefined;
  private stopped = false;
  private readonly fire = (): void => this.expire();

  constructor(
    private readonly clock: Clock,
    /** Called for each attempt whose deadline has passed, in deadline order. */
    private readonly onExpired: (attempt: T) => void,
  ) {}

  /** Starts watching an attempt (its deadline must not be earlier than those watched before). */
  watch(attempt: T): void {
    const q = this.queue;
    while (this.head < q.length && gone(q[this.head]!)) this.head++;
    if (this.head > 1024 && this.head * 2 > q.length) {
      q.splice(0, this.head);
      this.head = 0;
    }
    q.push(attempt);
    if (this.timer === undefined && !this.stopped) this.arm(q[this.head]!.deadline);
  }

  /** Stops watching anything; the timer is cleared. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
    this.head = 0;
  }

  private arm(deadline: number): void {
    this.timer = this.clock.setTimeout(this.fire, Math.max(0, deadline - this.clock.now()));
  }

  private expire(): void {
    this.timer = undefined;
    const now = this.clock.now();
    while (!this.stopped && this.head < this.queue.length) {
      const attempt = this.queue[this.head]!;
      if (!gone(attempt) && attempt.deadline > now) break;
      this.head++;
      if (!gone(attempt)) this.onExpired(attempt);
    }
    if (!this.stopped && this.head < this.queue.length && this.timer === undefined) this.arm(this.queue[this.head]!.deadline);
  }
}

function gone(attempt: Watched): boolean {
  return attempt.settled || attempt.detached === true;
}
