import type { PresenceDelta, PresenceMember } from "../../shared/index.js";

/** What a join snapshot shows of presence: the full list and the revision it includes. */
export interface PresenceSnapshot {
  members: PresenceMember[];
  rev: number;
}

/** A room's presence change, without its plan id (see `PresenceDelta`). */
export type PresenceChange = Omit<PresenceDelta, "planId">;

interface PrincipalEntry {
  member: PresenceMember;
  sockets: number;
}

/**
 * Who is in one plan room — one entry per principal however many sockets it has there — and what
 * changed since the last delta was taken.
 *
 * A principal joins with its first socket and leaves with its last one; other sockets change
 * nothing. `takeDelta()` gives the net change of the window, computed so that every member ends
 * right whatever it started from: members from before the window hold the previous revision, and
 * a socket that joined during the window holds its snapshot, taken in the middle of it. So a
 * principal is sent when its state differs from the previous revision, or when it changed after a
 * snapshot that a socket still in the room holds; a principal who joined and left again while no
 * such snapshot was taken is not sent at all.
 */
export class RoomPresence {
  /** Socket id → its member. */
  readonly #sockets = new Map<string, PresenceMember>();
  /** Principal id → its member and how many of its sockets are in. */
  readonly #principals = new Map<string, PrincipalEntry>();
  #rev = 0;
  /** A counter ordering changes and snapshots within a window. */
  #clock = 0;
  /** Principal id → whether it was present at the last revision, for principals changed since. */
  readonly #wasPresent = new Map<string, boolean>();
  /** Principal id → `#clock` of its last change in this window. */
  readonly #changedAt = new Map<string, number>();
  /** Socket id → `#clock` of the snapshot it was given in this window. */
  readonly #snapshotAt = new Map<string, number>();

  /** The revision of the last delta taken (0 before any). */
  get rev(): number {
    return this.#rev;
  }

  /** Whether something changed since the last delta. */
  get pending(): boolean {
    return this.#changedAt.size > 0;
  }

  /** How many principals are in. */
  get size(): number {
    return this.#principals.size;
  }

  /** Whether the socket is in. */
  has(socketId: string): boolean {
    return this.#sockets.has(socketId);
  }

  /** Who is in, one entry per principal, in the order they came. */
  list(): PresenceMember[] {
    return [...this.#principals.values()].map((p) => p.member);
  }

  /**
   * Adds a socket (again, for a socket already in: nothing changes) and returns the snapshot it is
   * given: the full list and the revision it includes.
   */
  join(socketId: string, member: PresenceMember): PresenceSnapshot {
    if (!this.#sockets.has(socketId)) {
      this.#sockets.set(socketId, member);
      const entry = this.#principals.get(member.id);
      if (entry) entry.sockets++;
      else {
        this.#touch(member.id, false);
        this.#principals.set(member.id, { member, sockets: 1 });
      }
    }
    this.#snapshotAt.set(socketId, ++this.#clock);
    return { members: this.list(), rev: this.#rev };
  }

  /** Removes a socket; false when it was not in. */
  leave(socketId: string): boolean {
    const member = this.#sockets.get(socketId);
    if (!member) return false;
    this.#sockets.delete(socketId);
    this.#snapshotAt.delete(socketId);
    const entry = this.#principals.get(member.id) as PrincipalEntry;
    if (--entry.sockets === 0) {
      this.#touch(member.id, true);
      this.#principals.delete(member.id);
    }
    return true;
  }

  /** The net change since the last delta (undefined when there is nothing to send), which becomes the next revision. */
  takeDelta(): PresenceChange | undefined {
    let earliestSnapshot = Number.POSITIVE_INFINITY;
    for (const [socketId, at] of this.#snapshotAt) if (this.#sockets.has(socketId) && at < earliestSnapshot) earliestSnapshot = at;
    const joined: PresenceMember[] = [];
    const left: string[] = [];
    for (const [id, wasPresent] of this.#wasPresent) {
      const now = this.#principals.get(id);
      if (wasPresent === (now !== undefined) && (this.#changedAt.get(id) as number) < earliestSnapshot) continue;
      if (now) joined.push(now.member);
      else left.push(id);
    }
    this.#wasPresent.clear();
    this.#changedAt.clear();
    this.#snapshotAt.clear();
    if (joined.length === 0 && left.length === 0) return undefined;
    return { rev: ++this.#rev, joined, left };
  }

  #touch(principalId: string, wasPresent: boolean): void {
    if (!this.#wasPresent.has(principalId)) this.#wasPresent.set(principalId, wasPresent);
    this.#changedAt.set(principalId, ++this.#clock);
  }
}
