import { PlanroomError } from "../shared/index.js";

/** Re-join failures worth another attempt: the server may answer next time (a disconnect during the call reads as `TIMEOUT`). */
const TRANSIENT_CODES: ReadonlySet<string> = new Set(["TIMEOUT", "INTERNAL", "RATE_LIMITED"]);
/** The first pause between background re-join attempts, doubled each time up to the cap. */
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5_000;

/** What a background re-join drives: one room handle, seen through what the retry loop needs of it. */
export interface RejoinTarget {
  /** The plan, for the message of an unexpected failure. */
  readonly planId: string;
  /** One (re)join attempt (the handle's `sync()`). */
  sync(): Promise<void>;
  /** Whether the handle is closed: no attempt is made, and none retried, after that. */
  isClosed(): boolean;
  /** Whether the client is connected: while it is not, the reconnection re-joins every room instead. */
  isConnected(): boolean;
  /** A final failure (the plan is gone, or no longer visible): the handle gives up with this error. */
  giveUp(error: PlanroomError): void;
}

/**
 * A room handle's background re-join (after a reconnection, a gap, or a refused event): a transient
 * failure is retried with a capped backoff while the client is connected; a final one goes to
 * {@link RejoinTarget.giveUp}. Asking again while an attempt runs retries at once, without the pause.
 */
export class RoomRejoin {
  readonly #target: RejoinTarget;
  /** True while a re-join (with retries) is under way. */
  #recovering = false;
  /** Set when another re-join was asked for during the current attempt: retry without waiting. */
  #retryNow = false;
  /** Ends the current pause between attempts. */
  #wake: (() => void) | undefined;

  /** A re-join loop for `target`; nothing runs until {@link RoomRejoin.request}. */
  constructor(target: RejoinTarget) {
    this.#target = target;
  }

  /** Starts a re-join, or has the running one try again as soon as its attempt ends. */
  request(): void {
    if (this.#recovering) {
      this.#retryNow = true;
      this.#wake?.();
      return;
    }
    this.#recovering = true;
    void this.#run();
  }

  /** Ends the current pause between attempts (the handle closed: the loop sees it and stops). */
  wake(): void {
    this.#wake?.();
  }

  async #run(): Promise<void> {
    const target = this.#target;
    try {
      let pause = RETRY_FIRST_MS;
      while (!target.isClosed()) {
        this.#retryNow = false;
        try {
          await target.sync();
          return;
        } catch (error) {
          if (target.isClosed()) return;
          const failure = error instanceof PlanroomError ? error : new PlanroomError("INTERNAL", `plan ${target.planId}: ${String(error)}`);
          if (!TRANSIENT_CODES.has(failure.code)) {
            target.giveUp(failure);
            return;
          }
          if (this.#retryNow) continue;
          // Disconnected: the reconnection re-joins every room.
          if (!target.isConnected()) return;
          await this.#pause(pause);
          pause = Math.min(RETRY_MAX_MS, pause * 2);
        }
      }
    } finally {
      this.#recovering = false;
    }
  }

  #pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.#wake === done) this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }
}
