import type { PresenceDelta, PresenceMember } from "../shared/index.js";

/** What changed in a room's presence: who came and who went (members as they were listed). */
export interface PresenceChange {
  joined: PresenceMember[];
  left: PresenceMember[];
}

/** How a delta went: folded in (with what it changed, maybe nothing), already included, or one was missed before it. */
export type PresenceFold = { change: PresenceChange } | "included" | "gap";

/** Whether a change changes nothing. */
export function isEmptyChange(change: PresenceChange): boolean {
  return change.joined.length === 0 && change.left.length === 0;
}

/** Who is in `after` but not in `before` (joined), and the other way round (left). */
export function presenceChange(before: readonly PresenceMember[], after: readonly PresenceMember[]): PresenceChange {
  const had = new Set(before.map((m) => m.id));
  const has = new Set(after.map((m) => m.id));
  return { joined: after.filter((m) => !had.has(m.id)), left: before.filter((m) => !has.has(m.id)) };
}

/**
 * A room's presence on the client: the join snapshot's full list with the `presence:delta`s after
 * it folded in, one entry per principal. Folding is idempotent (`joined` of a listed member and
 * `left` of an absent one change nothing) and ordered by `rev`: a delta the snapshot already
 * includes is skipped, and a missing one is reported so that the room can re-join.
 */
export class PresenceList {
  readonly #byId = new Map<string, PresenceMember>();
  /** The list as last built; replaced (never mutated) on every change, so a reader's copy stays as it was. */
  #members: readonly PresenceMember[] = [];
  #rev = 0;

  /** Who is in the room, in the order they came. */
  get members(): PresenceMember[] {
    return this.#members as PresenceMember[];
  }

  /** The revision the list includes. */
  get rev(): number {
    return this.#rev;
  }

  /** Starts over from a snapshot's list and the revision it includes. */
  reset(members: readonly PresenceMember[], rev: number): void {
    this.#byId.clear();
    for (const m of members) if (!this.#byId.has(m.id)) this.#byId.set(m.id, m);
    this.#rev = rev;
    this.#members = [...this.#byId.values()];
  }

  /** Folds in the next delta. */
  apply(delta: PresenceDelta): PresenceFold {
    if (delta.rev <= this.#rev) return "included";
    if (delta.rev !== this.#rev + 1) return "gap";
    this.#rev = delta.rev;
    const change: PresenceChange = { joined: [], left: [] };
    for (const id of delta.left) {
      const member = this.#byId.get(id);
      if (!member) continue;
      this.#byId.delete(id);
      change.left.push(member);
    }
    for (const member of delta.joined) {
      if (this.#byId.has(member.id)) continue;
      this.#byId.set(member.id, member);
      change.joined.push(member);
    }
    if (!isEmptyChange(change)) this.#members = [...this.#byId.values()];
    return { change };
  }
}
