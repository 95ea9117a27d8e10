import type { PlanEventBody, PlanState } from "../../shared/index.js";
import type { Clock } from "../runtime/clock.js";
import type { Logger } from "../runtime/logger.js";
import type { PlanRoom } from "./plan-room.js";

/** The longest delay a timer can wait (2³¹ − 1 ms); longer ones fire at once. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * One timer per plan pending approval whose policy sets `expiresInMs`: when it fires and the plan is
 * still pending at the same version, `plan.expired` is recorded. `schedule` is idempotent: it
 * clears the plan's timer and sets it again from the head state (`requestedAt` + `expiresInMs`), or
 * not at all once the plan is no longer pending.
 */
export class ApprovalExpiry {
  private readonly timers = new Map<PlanRoom, unknown>();

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** (Re)sets the expiry timer of a plan pending approval; clears it otherwise. */
  schedule(room: PlanRoom): void {
    this.clear(room);
    const ttl = room.head.policy.expiresInMs;
    if (room.head.plan.status !== "pending_approval" || ttl === undefined) return;
    const version = room.head.plan.version;
    const delay = Math.max(0, room.head.requestedAt + ttl - this.clock.now());
    if (delay > MAX_TIMER_DELAY_MS) {
      // Timers cannot wait longer than ~24.8 days (a longer delay fires at once): wait in steps.
      this.timers.set(room, this.clock.setTimeout(() => this.schedule(room), MAX_TIMER_DELAY_MS));
      return;
    }
    this.timers.set(
      room,
      this.clock.setTimeout(() => {
        this.timers.delete(room);
        // Decided on the head, and again on a newer one if another server's events come first: a
        // plan decided or revised meanwhile does not expire (every server may have set this timer).
        const expire = (head: PlanState): PlanEventBody[] => (head.plan.status === "pending_approval" && head.plan.version === version ? [{ type: "plan.expired", at: this.clock.now(), data: {} }] : []);
        if (expire(room.head).length === 0) return;
        try {
          room.command(expire).catch(() => {});
        } catch (error) {
          this.log.error(`plan ${room.id}: could not expire: ${String(error)}`);
        }
      }, delay),
    );
  }

  /** Stops every timer (the server is stopping). */
  stop(): void {
    for (const handle of this.timers.values()) this.clock.clearTimeout(handle);
    this.timers.clear();
  }

  /** Clears the plan's timer, if it has one (its room leaves memory). */
  clear(room: PlanRoom): void {
    const handle = this.timers.get(room);
    if (handle === undefined) return;
    this.clock.clearTimeout(handle);
    this.timers.delete(room);
  }
}
