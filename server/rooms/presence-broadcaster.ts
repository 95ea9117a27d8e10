import type { PresenceDelta } from "../../shared/index.js";
import type { RoomPresence } from "./room-presence.js";

/** A room as the broadcaster sees it: its plan id and its presence. */
export interface PresenceRoom {
  readonly id: string;
  readonly members: RoomPresence;
}

/** The shortest coalescing window (a small room: a change shows within a few ms). */
const MIN_WINDOW_MS = 5;
/** How much the window grows per principal in the room. */
const WINDOW_MS_PER_MEMBER = 0.5;
/** The longest coalescing window (a change never waits longer than this). */
const MAX_WINDOW_MS = 250;

/**
 * How long the changes of a room with `members` principals are gathered before one delta goes out:
 * 5 ms plus 0.5 ms per member, at most 250 ms. One delta is one message per member, so a window that
 * grows with the room bounds the room's presence traffic at about 2 messages per ms whatever its
 * size (below the cap), and a burst of joins folds into a few deltas: the windows grow as the room
 * fills (400 joins arriving together cost each member a handful of messages instead of 400).
 * A fixed tick (`setImmediate`) would only fold what one I/O poll happens to read.
 */
export function presenceWindowMs(members: number): number {
  return Math.min(MAX_WINDOW_MS, MIN_WINDOW_MS + members * WINDOW_MS_PER_MEMBER);
}

/**
 * Sends each room's presence changes as one coalesced `presence:delta` per window: the first change
 * after a quiet moment opens the room's window (a throttle, not a debounce, so steady churn cannot
 * hold a delta back), and when it ends the net change is taken and sent to the room's members.
 * Membership itself changes at once (`RoomPresence`), so a join snapshot is always current.
 */
export class PresenceBroadcaster {
  readonly #windows = new Map<PresenceRoom, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly send: (planId: string, delta: PresenceDelta) => void,
    private readonly windowMs: (members: number) => number = presenceWindowMs,
  ) {}

  /** Call after a room's presence changed: opens its window unless one is open. */
  changed(room: PresenceRoom): void {
    if (this.#windows.has(room) || !room.members.pending) return;
    const timer = setTimeout(() => this.#flush(room), this.windowMs(room.members.size));
    timer.unref();
    this.#windows.set(room, timer);
  }

  /** Drops a room's open window without sending (the room leaves memory: nobody is in it to tell). */
  forget(room: PresenceRoom): void {
    const timer = this.#windows.get(room);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#windows.delete(room);
  }

  /** Drops every open window without sending (the server is stopping; its sockets are closing). */
  stop(): void {
    for (const timer of this.#windows.values()) clearTimeout(timer);
    this.#windows.clear();
  }

  #flush(room: PresenceRoom): void {
    this.#windows.delete(room);
    const change = room.members.takeDelta();
    if (change) this.send(room.id, { planId: room.id, ...change });
  }
}
