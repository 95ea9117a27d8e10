import { applyEvent, formatPlan, jsonByteLength, PlanroomError, type PlanEvent, type PlanEventBody, type PlanEventOf, type PlanState, type PlanStatus, type PresenceMember } from "../../shared/index.js";
import { RoomPresence, type PresenceSnapshot } from "./room-presence.js";
import { PlanJsonCache } from "./plan-json-cache.js";
import { PreEncodedJson } from "./pre-encoded-json.js";
import { EventTail } from "./event-tail.js";
import type { LeaseToken, Store } from "../store/store.js";

/** Steps listed in a join snapshot's `formatted` text; a larger plan's text ends with a count of the rest. */
const SNAPSHOT_FORMATTED_STEPS = 1_000;
/** How long one pass of broadcasting may take before the rest waits for the next pass of the event loop. */
const BROADCAST_SLICE_MS = 8;
/** A snapshot is saved at least this often (in events), and at every status change. */
const SNAPSHOT_EVERY = 1_000;

/** What the head looked like before a batch of events was recorded (see `PlanRoomDeps.onRecorded`). */
export interface RecordedFrom {
  status: PlanStatus;
  version: number;
}

/**
 * What a room needs from its server. The `on…` hooks are how a room drives its own reactions
 * (expiry, auto-execution, quotas, presence): a command only records events or changes membership,
 * and the room tells the one place that reacts (see `RoomReactions`).
 */
export interface PlanRoomDeps {
  store: Store;
  /** Sends a durable event to everyone who may see the plan. */
  broadcast(event: PlanEvent, room: PlanRoom): void;
  /** Reports a store failure (the room stops accepting events). */
  onFault(error: unknown, room: PlanRoom): void;
  /** Events were recorded (folded into `head`, their write queued); `from` is the head before them. */
  onRecorded(room: PlanRoom, from: RecordedFrom, events: readonly PlanEvent[]): void;
  /** The durable status changed (told once per such event, after it is folded into `durable`). */
  onStatusChange(room: PlanRoom): void;
  /** Someone joined or left the room. */
  onPresenceChange(room: PlanRoom): void;
}

interface Batch {
  events: PlanEvent[];
  /** The executor lease the batch is written under (fencing), if it holds executor events. */
  lease: LeaseToken | undefined;
  durable: boolean;
  /** How many of its events have been shown (folded into `durable` and broadcast). */
  shown: number;
  statusChanged: boolean;
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
  /** Who is in the room (sockets, one entry per principal) and the presence change not yet sent; change it with `join`/`leave`. */
  readonly members = new RoomPresence();

  private current: PlanState;
  private view: { seq: number; plan: PreEncodedJson; formatted: string } | undefined;
  private readonly planJson = new PlanJsonCache();
  /** Recent durable events for joins and catch-up, bounded by count and bytes. */
  private readonly tail = new EventTail();
  private pending: Batch | undefined;
  private readonly inflight: Batch[] = [];
  /** Durable batches not fully shown yet (see `flush`). */
  private readonly outbox: Batch[] = [];
  private flushScheduled = false;
  private fault: unknown;
  private sinceSnapshot = 0;
  private durableState: PlanState | undefined;

  /**
   * A room for a stored plan (`state` is durable, and the room's from now on), or, with `submitted`, for a new plan whose
   * `plan.submitted` event (seq 1) is written now.
   */
  constructor(state: PlanState | { submitted: PlanEventOf<"plan.submitted"> }, private readonly deps: PlanRoomDeps) {
    if ("submitted" in state) {
      this.current = applyEvent(undefined, state.submitted);
      // The submit command awaits durability through settled(); a failed write lands in `fault`.
      void this.enqueue([state.submitted]);
    } else {
      // The room takes the state over (the caller just loaded it): one copy for the second view.
      this.current = state;
      this.durableState = structuredClone(state);
    }
    this.id = this.head.plan.id;
  }

  /** A socket of `member` joins the room; returns the presence list as of this join. */
  join(socketId: string, member: PresenceMember): PresenceSnapshot {
    const snapshot = this.members.join(socketId, member);
    this.deps.onPresenceChange(this);
    return snapshot;
  }

  /** A socket leaves the room; whether it was a member. */
  leave(socketId: string): boolean {
    const left = this.members.leave(socketId);
    if (left) this.deps.onPresenceChange(this);
    return left;
  }

  /**
   * Every recorded event applied: decisions are taken on it. Once the store failed under the room,
   * it is the durable state again, so that every answer comes from what was stored.
   */
  get head(): PlanState {
    return this.current;
  }

  /** Durable events applied: what clients have been (or may be) shown. */
  get durable(): PlanState {
    if (!this.durableState) throw new PlanroomError("NOT_FOUND", `plan ${this.id} is not stored yet`);
    return this.durableState;
  }

  /**
   * The durable plan, encoded (see `PreEncodedJson`), and its `formatPlan` text, for a join's
   * snapshot: both are made once per seq, so joins that arrive together share them. The text lists
   * the first `SNAPSHOT_FORMATTED_STEPS` steps (the structured plan has them all).
   */
  snapshotView(): { plan: PreEncodedJson; formatted: string } {
    const state = this.durable;
    if (this.view?.seq !== state.seq) this.view = { seq: state.seq, plan: new PreEncodedJson(this.planJson.encode(state.plan)), formatted: formatPlan(state.plan, { maxSteps: SNAPSHOT_FORMATTED_STEPS }) };
    return { plan: this.view.plan, formatted: this.view.formatted };
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
    if (this.fault !== undefined) throw new PlanroomError("INTERNAL", `plan ${this.id} cannot record events: its store failed (nothing was recorded; the server needs a restart)`);
    const events = bodies.map((body, i) => ({ ...body, planId: this.id, seq: this.head.seq + 1 + i }));
    if (events.length > 1) {
      // Check the whole group on a copy first, so a bad event in the middle records nothing.
      let probe = structuredClone(this.head);
      for (const e of events) probe = applyEvent(probe, e);
    }
    const from = { status: this.head.plan.status, version: this.head.plan.version };
    for (const e of events) applyEvent(this.head, e);
    const durable = this.enqueue(events, options.lease);
    this.deps.onRecorded(this, from, events);
    return durable;
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
      batch = this.pending = { events: [], lease: undefined, durable: false, shown: 0, statusChanged: false, promise, resolve, reject };
      queueMicrotask(() => this.write());
    }
    batch.events.push(...events);
    if (lease) batch.lease = lease;
    const done = batch.promise.then(() => events);
    done.catch(() => {}); // callers that await it still see the rejection
    return done;
  }

  /** Whether events are on their way: recorded and not yet durable, or durable and not yet shown. */
  get writing(): boolean {
    return this.pending !== undefined || this.inflight.length > 0 || this.outbox.length > 0;
  }

  /**
   * A cheap estimate of the memory the room holds, in bytes: its event tail (counted as events are
   * added) and its plan twice (`head` and `durable`), measured now. Meant for rooms whose plan no
   * longer changes (finished), measured once when they are cached, not on every event.
   */
  estimateBytes(): number {
    return this.tail.byteLength + 2 * jsonByteLength(this.durable.plan);
  }

  /** Resolves once every event recorded so far is durable (or rejects if the store failed). */
  async settled(): Promise<void> {
    const last = this.pending ?? this.inflight[this.inflight.length - 1] ?? this.outbox[this.outbox.length - 1];
    if (last) await last.promise;
  }

  /**
   * The durable events with seq > `afterSeq`, up to `durable.seq` at the moment the promise
   * resolves (callers answer in that same tick, so the live stream continues right after them), or
   * only the first `limit` of them (a page: only those are read).
   */
  async eventsAfter(afterSeq: number, limit = Number.POSITIVE_INFINITY): Promise<PlanEvent[]> {
    let collected: PlanEvent[] = [];
    let from = afterSeq;
    for (let round = 0; round < 8; round++) {
      if (from >= (this.durableState?.seq ?? 0) || collected.length >= limit) return collected;
      const first = this.tail.firstSeq;
      const upToSeq = Math.min(this.durable.seq, from + (limit - collected.length));
      if (first !== undefined && first <= from + 1) return collected.concat(this.tail.range(from + 1, upToSeq));
      const read = await this.deps.store.readEvents(this.id, from, Number.isFinite(limit) ? limit - collected.length : undefined);
      const upTo = this.durable.seq;
      const usable = read.filter((e) => e.seq <= upTo);
      collected = collected.concat(usable);
      const last = usable[usable.length - 1];
      if (!last || last.seq === from) throw new PlanroomError("INTERNAL", `plan ${this.id}: the log has no event after ${from}`);
      from = last.seq;
    }
    throw new PlanroomError("INTERNAL", `plan ${this.id}: could not catch up with the log`);
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
    while (this.inflight[0]?.durable) this.outbox.push(this.inflight.shift() as Batch);
    this.flush(false);
  }

  /**
   * Shows durable batches in seq order: folds each event into `durable`, broadcasts it, and
   * resolves a batch once all its events are out. A big batch (hundreds of events, each written to
   * every member's socket) is sent in slices of about `BROADCAST_SLICE_MS`, the rest in a later
   * pass of the event loop, so other clients are served in between. `all` sends everything now.
   */
  private flush(all: boolean): void {
    if (this.flushScheduled && !all) return; // the scheduled pass carries on, in order
    const deadline = all ? Number.POSITIVE_INFINITY : performance.now() + BROADCAST_SLICE_MS;
    while (this.outbox.length > 0) {
      const batch = this.outbox[0]!;
      while (batch.shown < batch.events.length) {
        if (performance.now() > deadline) {
          this.flushScheduled = true;
          setImmediate(() => {
            this.flushScheduled = false;
            this.flush(false);
          });
          return;
        }
        const e = batch.events[batch.shown++]!;
        const before = this.durableState?.plan.status;
        this.durableState = applyEvent(this.durableState, e);
        this.planJson.invalidate(e);
        if (this.durableState.plan.status !== before) {
          batch.statusChanged = true;
          this.deps.onStatusChange(this);
        }
        this.tail.push(e);
        this.deps.broadcast(e, this);
      }
      this.outbox.shift();
      this.sinceSnapshot += batch.events.length;
      if (batch.statusChanged || this.sinceSnapshot >= SNAPSHOT_EVERY) {
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
      this.flush(true); // what is durable is shown first
      // Events recorded but never stored must not inform any answer from here on.
      if (this.durableState) this.current = structuredClone(this.durableState);
      this.deps.onFault(error, this);
    }
    // A store refusal (a PlanroomError other than OUTCOME_UNKNOWN) stored nothing; anything else
    // may have reached the disk, and the caller must not be told that nothing was stored.
    const nothingStored = error instanceof PlanroomError && error.code !== "OUTCOME_UNKNOWN";
    const failed = nothingStored
      ? new PlanroomError("INTERNAL", `plan ${this.id}: the store failed (the server log says why); nothing of this was stored`)
      : new PlanroomError("OUTCOME_UNKNOWN", `plan ${this.id}: the store failed while recording this; it may or may not have been stored. Check the plan once the server is back before you retry`);
    for (const b of this.inflight.splice(0)) b.reject(failed);
    if (this.pending) {
      this.pending.reject(failed);
      this.pending = undefined;
    }
  }
}
