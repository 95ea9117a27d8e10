import { applyEvent, PlanroomError, type PlanEvent, type PlanEventBody, type PlanEventOf, type PlanState, type PresenceMember } from "../shared/index.js";
import { audienceRooms } from "./access.js";
import type { LeaseToken, Store } from "./store/store.js";

/** How many recent durable events a room keeps in memory for joins and catch-up. */
const TAIL_SIZE = 4_096;
/** A snapshot is saved at least this often (in events), and at every status change. */
const SNAPSHOT_EVERY = 1_000;

/** What a room needs from its server. */
export interface PlanRoomDeps {
  store: Store;
  /** Sends a durable event to everyone who may see the plan (one emit). */
  broadcast(event: PlanEvent, room: PlanRoom): void;
  /** Reports a store failure (the room stops accepting events). */
  onFault(error: unknown, room: PlanRoom): void;
}

interface Batch {
  events: PlanEvent[];
  /** The executor lease the batch is written under (fencing), if it holds executor events. */
  lease: LeaseToken | undefined;
  durable: boolean;
  promise: Promise<PlanEvent[]>;
  resolve(events: PlanEvent[]): void;
  reject(error: unknown): void;
}

/**
 * One plan's room: its state, its gap-free `seq`, its write pipeline and its members.
 *
 * Two views are kept. `head` folds every event the moment it is recorded (decisions are taken on
 * it, synchronously, so they happen once). `durable` folds only events whose write has been
 * fsynced; each is broadcast when it becomes durable, in seq order, so no client ever sees an event
 * that a crash could lose. Events recorded in one tick are written in one `append` call.
 */
export class PlanRoom {
  readonly id: string;
  /** Every recorded event applied. */
  readonly head: PlanState;
  /** The Socket.IO rooms that receive this plan's events (see `audienceRooms`). */
  readonly audience: string[];
  /** Sockets in the room, by socket id. */
  readonly members = new Map<string, PresenceMember>();
  /** The expiry timer handle, if any. */
  expiryTimer: unknown;

  private readonly tail: PlanEvent[] = [];
  private pending: Batch | undefined;
  private readonly inflight: Batch[] = [];
  private fault: unknown;
  private sinceSnapshot = 0;
  private durableState: PlanState | undefined;

  /**
   * A room for a stored plan (`state` is durable), or, with `submitted`, for a new plan whose
   * `plan.submitted` event (seq 1) is written now.
   */
  constructor(state: PlanState | { submitted: PlanEventOf<"plan.submitted"> }, private readonly deps: PlanRoomDeps) {
    if ("submitted" in state) {
      this.head = applyEvent(undefined, state.submitted);
      this.enqueue([state.submitted]);
    } else {
      this.head = structuredClone(state);
      this.durableState = structuredClone(state);
    }
    this.id = this.head.plan.id;
    this.audience = audienceRooms(this.id, this.head);
  }

  /** Durable events applied: what clients have been (or may be) shown. */
  get durable(): PlanState {
    if (!this.durableState) throw new PlanroomError("NOT_FOUND", `plan ${this.id} is not stored yet`);
    return this.durableState;
  }

  /** Whether the plan's first event is durable (before that, nobody may see it). */
  get stored(): boolean {
    return this.durableState !== undefined;
  }

  /** The seq of the last recorded event. */
  get seq(): number {
    return this.head.seq;
  }

  /** Whether the store failed under this room (it accepts no more events). */
  get faulted(): boolean {
    return this.fault !== undefined;
  }

  /**
   * Records events: gives them the next seqs, folds them into `head` now, and writes them. Resolves
   * with the logged events once they are durable and broadcast. Throws (recording nothing) when an
   * event is illegal in the current state.
   *
   * An executor passes the `lease` of its run: the batch holding its events is appended under that
   * lease, so once the lease was taken over the store refuses the batch (`CONFLICT`) and the room
   * faults like on any store failure (its head is ahead of the log). Other events (commands) pass
   * none; a batch mixing both is fenced too, which is fine while the lease is current.
   */
  record(bodies: readonly PlanEventBody[], options: { lease?: LeaseToken } = {}): Promise<PlanEvent[]> {
    if (this.fault !== undefined) throw new PlanroomError("INTERNAL", `plan ${this.id} cannot record events: its store failed`);
    const events = bodies.map((body, i) => ({ ...body, planId: this.id, seq: this.head.seq + 1 + i }) as PlanEvent);
    if (events.length > 1) {
      // Check the whole group on a copy first, so a bad event in the middle records nothing.
      let probe = structuredClone(this.head);
      for (const e of events) probe = applyEvent(probe, e);
    }
    for (const e of events) applyEvent(this.head, e);
    return this.enqueue(events, options.lease);
  }

  private enqueue(events: PlanEvent[], lease?: LeaseToken): Promise<PlanEvent[]> {
    let batch = this.pending;
    if (!batch) {
      let resolve!: (events: PlanEvent[]) => void;
      let reject!: (error: unknown) => void;
      const promise = new Promise<PlanEvent[]>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      promise.catch(() => {});
      batch = this.pending = { events: [], lease: undefined, durable: false, promise, resolve, reject };
      queueMicrotask(() => this.write());
    }
    batch.events.push(...events);
    if (lease) batch.lease = lease;
    const done = batch.promise.then(() => events);
    done.catch(() => {}); // callers that await it still see the rejection
    return done;
  }

  /** Resolves once every event recorded so far is durable (or rejects if the store failed). */
  async settled(): Promise<void> {
    const last = this.pending ?? this.inflight[this.inflight.length - 1];
    if (last) await last.promise;
  }

  /**
   * The durable events with seq > `afterSeq`, up to `durable.seq` at the moment the promise
   * resolves (callers answer in that same tick, so the live stream continues right after them).
   */
  async eventsAfter(afterSeq: number): Promise<PlanEvent[]> {
    let collected: PlanEvent[] = [];
    let from = afterSeq;
    for (let round = 0; round < 8; round++) {
      if (from >= (this.durableState?.seq ?? 0)) return collected;
      const first = this.tail[0];
      if (first && first.seq <= from + 1) {
        return collected.concat(this.tail.slice(from + 1 - first.seq, this.durable.seq - first.seq + 1));
      }
      const read = await this.deps.store.readEvents(this.id, from);
      const upTo = this.durable.seq;
      const usable = read.filter((e) => e.seq <= upTo);
      collected = collected.concat(usable);
      const last = usable[usable.length - 1];
      if (!last || last.seq === from) throw new PlanroomError("INTERNAL", `plan ${this.id}: the log has no event after ${from}`);
      from = last.seq;
    }
    throw new PlanroomError("INTERNAL", `plan ${this.id}: could not catch up with the log`);
  }

  /** Who is in the room, one entry per principal. */
  presence(): PresenceMember[] {
    const seen = new Map<string, PresenceMember>();
    for (const m of this.members.values()) if (!seen.has(m.id)) seen.set(m.id, m);
    return [...seen.values()];
  }

  private write(): void {
    const batch = this.pending;
    if (!batch) return;
    this.pending = undefined;
    this.inflight.push(batch);
    let appended: Promise<void>;
    try {
      appended = this.deps.store.append(batch.events, batch.lease ? { lease: batch.lease } : undefined);
    } catch (e) {
      appended = Promise.reject(e);
    }
    appended.then(
      () => {
        batch.durable = true;
        this.drain();
      },
      (error: unknown) => this.fail(error),
    );
  }

  private drain(): void {
    while (this.inflight[0]?.durable) {
      const batch = this.inflight.shift() as Batch;
      let statusChanged = false;
      for (const e of batch.events) {
        const before = this.durableState?.plan.status;
        this.durableState = applyEvent(this.durableState, e);
        if (this.durableState.plan.status !== before) statusChanged = true;
        this.tail.push(e);
        this.deps.broadcast(e, this);
      }
      if (this.tail.length > TAIL_SIZE) this.tail.splice(0, this.tail.length - TAIL_SIZE);
      this.sinceSnapshot += batch.events.length;
      if (statusChanged || this.sinceSnapshot >= SNAPSHOT_EVERY) {
        this.sinceSnapshot = 0;
        try {
          this.deps.store.saveSnapshot(this.durableState as PlanState);
        } catch (e) {
          this.deps.onFault(e, this);
        }
      }
      batch.resolve(batch.events);
    }
  }

  private fail(error: unknown): void {
    if (this.fault === undefined) {
      this.fault = error ?? new Error("store failure");
      this.deps.onFault(error, this);
    }
    const failed = new PlanroomError("INTERNAL", `plan ${this.id}: events could not be stored`);
    for (const b of this.inflight.splice(0)) b.reject(failed);
    if (this.pending) {
      this.pending.reject(failed);
      this.pending = undefined;
    }
  }
}
