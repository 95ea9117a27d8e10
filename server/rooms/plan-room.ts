import { applyEvent, jsonByteLength, PlanroomError, type PlanEvent, type PlanEventBody, type PlanEventOf, type PlanState, type PresenceMember } from "../../shared/index.js";
import { RoomPresence, type PresenceSnapshot } from "./room-presence.js";
import type { PreEncodedJson } from "./pre-encoded-json.js";
import { DurableView } from "./durable-view.js";
import { RoomInbox } from "./room-inbox.js";
import { RoomOutbox } from "./room-outbox.js";
import { addEntry, newBatch, newEntry, refusal, rejectAll, type Decide, type RoomBatch, type RoomEntry } from "./room-batch.js";
import { AppendConflictError, type AppendConflict } from "../store/append-conflict.js";
import type { LeaseToken } from "../store/store.js";
import type { PlanRoomDeps, RecordedFrom } from "./plan-room-deps.js";

/** How many times one command is decided again because other writers' events came first, before it is refused. */
const MAX_CONFLICTS = 8;
/** How long events offered out of order wait for the missing ones before they are read from the store. */
const GAP_FILL_MS = 25;

/**
 * One plan's room: its state, its gap-free `seq`, its write pipeline and its members.
 *
 * Two views are kept. `head` folds every event the moment it is recorded (decisions are taken on
 * it, synchronously, so they happen once per head). `durable` folds only events whose write has
 * been committed; each is broadcast when it becomes durable, in seq order, so no client ever sees an
 * event that a crash could lose. Events recorded in one tick are written in one `append` call.
 *
 * Other writers (other server nodes on a shared store, see `Store.sharedWriters`):
 * - The store refuses an append whose first seq is no longer the head's next (`CONFLICT`, kind
 *   `seq`). The room then catches up with the log (shows the events it lacked), and decides every
 *   command it had not stored yet again on the new state (a vote that now completes the quorum also
 *   approves; one that is now illegal is refused with its reason). After `MAX_CONFLICTS` such
 *   rounds a command is refused with `CONFLICT`.
 * - With a shared store at most one append is in flight: a second one, numbered after the first,
 *   could otherwise commit on top of another writer's events.
 * - Events other writers committed reach the room through `offer` (a hint, the change feed) and
 *   `behind` (a head to read up to); they are shown once each, in seq order, gaps filled from the
 *   store after `GAP_FILL_MS`.
 * - An executor whose lease was taken over (`CONFLICT`, kind `lease`) has its events refused;
 *   commands batched with them are decided again.
 * - With a shared store a failed write (the database unreachable) does not end the room: the events
 *   are refused (`OUTCOME_UNKNOWN` or `UNAVAILABLE`), and the next command first catches up with
 *   the log.
 */
export class PlanRoom {
  readonly id: string;
  /** Who is in the room (sockets, one entry per principal) and the presence change not yet sent; change it with `join`/`leave`. */
  readonly members = new RoomPresence();

  private current: PlanState;
  private pending: RoomBatch | undefined;
  private readonly inflight: RoomBatch[] = [];
  /** Durable batches not fully shown yet. */
  private readonly outbox: RoomOutbox;
  private fault: unknown;
  /** The durable view: what has been shown. */
  private readonly shown: DurableView;
  /** Reading the log to catch up with other writers: nothing is written meanwhile. */
  private catchingUp = false;
  /** A write failed on a shared store: the log must be read before the next write. */
  private unsynced = false;
  /** Events other writers committed, offered out of order or while this room was writing. */
  private readonly inbox = new RoomInbox(() => void this.pull(), GAP_FILL_MS);
  private pulling = false;

  /** A room for a stored plan (`state` is durable, and the room's from now on), or for a new plan whose `submitted` event (seq 1) is written now. */
  constructor(state: PlanState | { submitted: PlanEventOf<"plan.submitted"> }, private readonly deps: PlanRoomDeps<PlanRoom>) {
    if ("submitted" in state) {
      this.current = applyEvent(undefined, state.submitted);
      const entry = newEntry(() => [], undefined);
      entry.events = [state.submitted];
      // The submit command awaits durability through settled(); a failed write lands in `fault`.
      this.enqueue(entry);
      this.shown = new DurableView(this.current.plan.id, deps.store);
    } else {
      // The room takes the state over (the caller just loaded it): one copy for the second view.
      this.current = state;
      this.shown = new DurableView(state.plan.id, deps.store, structuredClone(state));
    }
    this.id = this.head.plan.id;
    this.outbox = new RoomOutbox(this.shown, {
      broadcast: (event) => deps.broadcast(event, this),
      statusChanged: () => deps.onStatusChange(this),
      snapshot: (state) => deps.store.saveSnapshot(state),
      snapshotFailed: (error) => deps.onFault(error, this),
      resumed: () => this.processInbox(),
    });
  }

  /** A socket of `member` joins the room; returns the presence list as of this join. */
  join(socketId: string, member: PresenceMember): PresenceSnapshot {
    const snapshot = this.members.join(socketId, member);
    this.deps.onMembership?.(this, { kind: "join", socketId, member });
    this.deps.onPresenceChange(this);
    return snapshot;
  }

  /** A socket leaves the room; whether it was a member. */
  leave(socketId: string): boolean {
    const left = this.members.leave(socketId);
    if (left) {
      this.deps.onMembership?.(this, { kind: "leave", socketId });
      this.deps.onPresenceChange(this);
    }
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
    return this.shown.required();
  }

  /** The durable plan, encoded, and its `formatPlan` text, for a join's snapshot (see `DurableView.snapshotView`). */
  snapshotView(): { plan: PreEncodedJson; formatted: string } {
    return this.shown.snapshotView();
  }

  /** Whether the plan's first event is durable (before that, nobody may see it). */
  get stored(): boolean {
    return this.shown.state !== undefined;
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
   * event is illegal in the current state. The same events are recorded again, renumbered, if other
   * writers' events came first and they are still legal (see `command` for decisions that depend on
   * the state).
   *
   * An executor passes the `lease` of its run: the batch holding its events is appended under that
   * lease, so once the lease was taken over the store refuses the batch (`CONFLICT`) and these events
   * are refused with it (the run stops). Other events (commands) pass none.
   */
  record(bodies: readonly PlanEventBody[], options: { lease?: LeaseToken } = {}): Promise<PlanEvent[]> {
    return this.command(() => bodies, options);
  }

  /**
   * Records what `decide` answers for the current head; if other writers' events come first, it is
   * called again on the state after them (so it must be pure: it decides, the room records).
   * Throws what `decide` throws, or when its events are illegal, recording nothing; later rounds
   * refuse the returned promise instead.
   */
  command(decide: Decide, options: { lease?: LeaseToken } = {}): Promise<PlanEvent[]> {
    if (this.fault !== undefined) throw new PlanroomError("INTERNAL", `plan ${this.id} cannot record events: its store failed (nothing was recorded; the server needs a restart)`);
    const entry = newEntry(decide, options.lease);
    this.enqueueDecided(entry, this.decideOn(entry));
    return entry.promise;
  }

  /**
   * Events another writer committed (from a hint or the change feed): each is shown once, in seq
   * order; ones already shown are dropped, later ones wait for the missing (read from the store
   * if they do not come).
   */
  offer(events: readonly PlanEvent[]): void {
    if (this.fault !== undefined) return;
    this.inbox.add(events.filter((e) => e.planId === this.id), this.shown.seq);
    this.processInbox();
  }

  /** Another writer committed the plan up to `seq`: what this room lacks of it is read from the store. */
  behind(seq: number): void {
    if (this.fault === undefined && this.inbox.committedUpTo(seq)) void this.pull();
  }

  /** Decides `entry` on the head and folds its events into it; throws, changing nothing, when they are illegal. */
  private decideOn(entry: RoomEntry): RecordedFrom {
    const head = this.current;
    const events = entry.decide(head).map((body, i) => ({ ...body, planId: this.id, seq: head.seq + 1 + i }));
    if (events.length > 1) {
      // Check the whole group on a copy first, so a bad event in the middle records nothing.
      let probe = structuredClone(head);
      for (const e of events) probe = applyEvent(probe, e);
    }
    const from: RecordedFrom = { status: head.plan.status, version: head.plan.version, origin: "local" };
    for (const e of events) applyEvent(head, e);
    entry.events = events;
    return from;
  }

  /** Queues a decided entry for writing and tells the reactions (an entry without events is done at once). */
  private enqueueDecided(entry: RoomEntry, from: RecordedFrom): void {
    if (entry.events.length === 0) return entry.resolve([]);
    this.enqueue(entry);
    this.deps.onRecorded(this, from, entry.events);
  }

  private enqueue(entry: RoomEntry): void {
    if (!this.pending) {
      this.pending = newBatch();
      queueMicrotask(() => this.write());
    }
    addEntry(this.pending, entry);
  }

  /** Whether events are on their way: recorded and not yet durable, or durable and not yet shown. */
  get writing(): boolean {
    return this.pending !== undefined || this.inflight.length > 0 || this.outbox.busy || this.catchingUp;
  }

  /** A cheap estimate of the bytes the room holds (its event tail, its plan twice), measured now: for finished rooms, once. */
  estimateBytes(): number {
    return this.shown.estimateBytes() + jsonByteLength(this.durable.plan);
  }

  /** Resolves once every event recorded so far is durable (or rejects if one of them was refused). */
  async settled(): Promise<void> {
    const batches = [...this.outbox.waiting, ...this.inflight, ...(this.pending ? [this.pending] : [])];
    await Promise.all(batches.flatMap((b) => b.entries.map((e) => e.promise)));
  }

  /** The durable events with seq > `afterSeq` (see `DurableView.eventsAfter`). */
  eventsAfter(afterSeq: number, limit?: number): Promise<PlanEvent[]> {
    return this.shown.eventsAfter(afterSeq, limit);
  }

  private write(): void {
    if (this.fault !== undefined || this.catchingUp) return;
    if (this.unsynced) {
      if (this.pending) void this.catchUp(undefined);
      return;
    }
    const batch = this.pending;
    if (!batch) return;
    // One append in flight on a shared store: the next is written once this one is answered.
    if (this.deps.store.sharedWriters && this.inflight.length > 0) return;
    this.pending = undefined;
    this.inflight.push(batch);
    let appended: Promise<void>;
    try {
      appended = this.deps.store.append(batch.events, batch.lease ? { lease: batch.lease } : undefined);
    } catch (e) {
      appended = Promise.reject(e);
    }
    batch.written = appended.then(
      () => {
        batch.durable = true;
        this.deps.onCommitted?.(this, batch.events);
        this.drain();
        this.write();
        this.processInbox();
      },
      (error: unknown) => this.refused(error),
    );
  }

  private drain(): void {
    while (this.inflight[0]?.durable) this.outbox.push(this.inflight.shift()!);
    this.outbox.flush(false);
  }

  /** The store refused a batch: another writer came first (catch up, decide again), or it failed. */
  private refused(error: unknown): void {
    if (error instanceof AppendConflictError) {
      this.deps.onConflict?.(this, error.conflict.kind);
      void this.catchUp(error.conflict);
      return;
    }
    if (!this.deps.store.sharedWriters) {
      this.fail(error);
      return;
    }
    // A shared store: the log is the truth and can be read again once the store is back.
    this.outbox.flush(true);
    rejectAll(this.inflight.splice(0), refusal(this.id, error));
    this.unsynced = true;
    if (this.shown.state) this.current = structuredClone(this.shown.state);
    this.write();
  }

  /**
   * Reads the events other writers committed since `durable`, shows them, and decides every entry
   * not stored yet again on the new state (entries fenced by `conflict` are refused).
   */
  private async catchUp(conflict: AppendConflict | undefined): Promise<void> {
    if (this.catchingUp) return;
    this.catchingUp = true;
    // Every append in flight must be answered first: a late success must not be decided again.
    await Promise.allSettled(this.inflight.map((b) => b.written ?? Promise.resolve()));
    this.drain();
    this.outbox.flush(true);
    const waiting = this.inflight.splice(0).filter((b) => !b.durable);
    let read: PlanEvent[] = [];
    try {
      if (this.shown.state) read = await this.deps.store.readEvents(this.id, this.shown.seq);
    } catch (error) {
      this.catchingUp = false;
      this.unsynced = true;
      const failed = new PlanroomError("UNAVAILABLE", `plan ${this.id}: the store cannot be read to catch up with other writers (${String(error)}); nothing of this was recorded`, { cause: error });
      rejectAll([...waiting, ...(this.pending ? [this.pending] : [])], failed);
      this.pending = undefined;
      return;
    }
    this.unsynced = false;
    if (read.length > 0) this.showRemote(read, false);
    const entries = [...waiting, ...(this.pending ? [this.pending] : [])].flatMap((b) => b.entries);
    this.pending = undefined;
    this.catchingUp = false;
    this.decideAgain(entries, conflict);
    this.write();
    this.processInbox();
  }

  /** Head back to the durable state, and `entries` decided again on it, in order, into the pending batch. */
  private decideAgain(entries: readonly RoomEntry[], conflict: AppendConflict | undefined): void {
    if (entries.length === 0) return;
    if (!this.shown.state) {
      for (const entry of entries) entry.reject(new PlanroomError("CONFLICT", `plan ${this.id} already exists`));
      return;
    }
    this.current = structuredClone(this.shown.state);
    for (const entry of entries) {
      if (conflict?.kind === "lease" && entry.lease) {
        entry.reject(new PlanroomError("CONFLICT", `plan ${this.id}: the executor lease of ${entry.lease.owner} at epoch ${entry.lease.epoch} is not current (fenced)`));
        continue;
      }
      if (++entry.conflicts > MAX_CONFLICTS) {
        entry.reject(new PlanroomError("CONFLICT", `plan ${this.id} changed under this command ${MAX_CONFLICTS} times in a row (other writers); try again`));
        continue;
      }
      let from: RecordedFrom;
      try {
        from = this.decideOn(entry);
      } catch (error) {
        entry.reject(error);
        continue;
      }
      this.enqueueDecided(entry, from);
    }
  }

  /** Shows offered events that continue `durable`, when nothing of this room's own is in flight. */
  private processInbox(): void {
    if (this.fault !== undefined || !this.shown.state || this.inflight.length > 0 || this.outbox.busy || this.catchingUp) return;
    const shown = this.inbox.take(this.shown.seq);
    if (shown.length === 0) return;
    // What is pending was decided on a head these events overtook: it is decided again before it is written.
    const entries = this.pending?.entries ?? [];
    this.pending = undefined;
    this.showRemote(shown, entries.length === 0);
    this.decideAgain(entries, undefined);
  }

  /** Shows events of other writers, and moves the head past them (`fold`: by folding them in; else back to the durable state). */
  private showRemote(events: readonly PlanEvent[], fold: boolean): void {
    const from: RecordedFrom = { status: this.current.plan.status, version: this.current.plan.version, origin: "remote" };
    this.outbox.push({ ...newBatch(), events: [...events], durable: true });
    this.outbox.flush(true);
    if (fold) for (const e of events) applyEvent(this.current, e);
    else this.current = structuredClone(this.durable);
    this.deps.onRecorded(this, from, events);
  }

  /** The room leaves memory: it stops following other writers. */
  dispose(): void {
    this.inbox.clear();
  }

  /** Reads from the store what other writers committed after `durable` and offers it. */
  private async pull(): Promise<void> {
    if (this.pulling || !this.shown.state) return;
    if (this.inflight.length > 0 || this.catchingUp) {
      this.inbox.later();
      return;
    }
    this.pulling = true;
    try {
      this.offer(await this.deps.store.readEvents(this.id, this.shown.seq));
    } catch {
      this.inbox.later(); // the store is unreachable: try again
    } finally {
      this.pulling = false;
    }
  }

  private fail(error: unknown): void {
    if (this.fault === undefined) {
      this.fault = error ?? new Error("store failure");
      this.outbox.flush(true); // what is durable is shown first
      // Events recorded but never stored must not inform any answer from here on.
      if (this.shown.state) this.current = structuredClone(this.shown.state);
      this.deps.onFault(error, this);
    }
    rejectAll([...this.inflight.splice(0), ...(this.pending ? [this.pending] : [])], refusal(this.id, error));
    this.pending = undefined;
  }
}
