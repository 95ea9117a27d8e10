import {
  FINISHED_PLAN_STATUSES,
  PlanroomError,
  applyEvent,
  formatPlan,
  summary,
  type ApprovalPolicy,
  type CommandInput,
  type CommandName,
  type CommandResult,
  type PlanData,
  type PlanEvent,
  type PlanEventOf,
  type PlanEventType,
  type PlanState,
  type PlanSummary,
  type PresenceDelta,
  type PresenceMember,
  type Snapshot,
  type Vote,
} from "../shared/index.js";
import { ListenerHub } from "./listener-hub.js";
import type { ConnectionState } from "./planroom-client.js";
import { isEmptyChange, presenceChange, PresenceList, type PresenceChange } from "./presence-list.js";
import type { RoomListeners } from "./room-listeners.js";
import { RoomRejoin } from "./room-rejoin.js";
import { waitForRoomState, type StateCheck } from "./room-state-wait.js";

/** What a room handle needs from its client (kept narrow so that handles are testable alone). */
export interface RoomClient {
  command<C extends CommandName>(name: C, payload: CommandInput<C>): Promise<CommandResult<C>>;
  /** Called when a handle leaves its room; true when it was the client's last handle of that plan. */
  detachRoom(handle: RoomHandle): boolean;
  /** Background re-joins are retried only while the client is connected (a reconnection re-joins anyway). */
  readonly connectionState: ConnectionState;
}

/** The decision of an approval request. */
export type DecisionOutcome = "approved" | "rejected" | "expired";

/** Builds a room state from a `plan:join` snapshot. */
export function stateFromSnapshot(snapshot: Snapshot): PlanState {
  const { plan, policy, votes, submittedBy, tools, autoExecute, requestedAt, seq } = snapshot;
  return { plan: structuredClone(plan), policy, votes: [...votes], submittedBy, tools, autoExecute, requestedAt, seq };
}

/**
 * A joined plan room, kept up to date by folding the room's events into a shared `PlanState` with
 * `applyEvent`. Events that arrive while (re)joining are buffered and applied after the snapshot;
 * a gap in `seq` triggers a re-join with `afterSeq`, so every event is applied once and in order,
 * across reconnections too. Presence works the same way: the join snapshot's full list, then the
 * server's coalesced `presence:delta`s folded in by `rev` (those that arrive while joining wait
 * for the snapshot; one it already includes is skipped; a missed one triggers a re-join).
 */
export class RoomHandle {
  /** The plan's id. */
  readonly planId: string;
  /** @internal */ protected readonly client: RoomClient;
  readonly #hub = new ListenerHub<RoomListeners>();
  #state: PlanState | undefined;
  readonly #presence = new PresenceList();
  /** Presence deltas that arrived while (re)joining: folded in after the snapshot. */
  #presenceBuffer: PresenceDelta[] = [];
  #formatted: { seq: number; version: number; text: string } | undefined;
  /** Non-null while a (re)join is in flight: live events wait here. */
  #buffer: PlanEvent[] | null = null;
  #syncing: Promise<void> | undefined;
  #resyncAgain = false;
  #needsSnapshot = false;
  #closed: PlanroomError | undefined;
  /** The background re-join, with its retries. */
  readonly #rejoin: RoomRejoin;

  /** @internal Use `client.join(planId)`. */
  constructor(client: RoomClient, planId: string) {
    this.client = client;
    this.planId = planId;
    this.#rejoin = new RoomRejoin({
      planId,
      sync: () => this.sync(),
      isClosed: () => this.#closed !== undefined,
      isConnected: () => this.client.connectionState === "connected",
      giveUp: (failure) => {
        this.client.detachRoom(this);
        this.close(failure);
      },
    });
  }

  /** The room's state: plan, policy, votes, submitter, remote tools and the last applied `seq`. */
  get state(): PlanState {
    if (!this.#state) throw new PlanroomError("INVALID_STATE", `plan ${this.planId} has not been joined yet`);
    return this.#state;
  }
  /** The plan, live. */
  get plan(): PlanData {
    return this.state.plan;
  }
  /** The votes on the current version. */
  get votes(): Vote[] {
    return this.state.votes;
  }
  /** The approval policy. */
  get policy(): ApprovalPolicy {
    return this.state.policy;
  }
  /**
   * Who is in the room now, one entry per principal (however many connections it has there), in
   * the order they came. A new array on every change; the `"presence"` listeners say what changed.
   */
  get presence(): PresenceMember[] {
    return this.#presence.members;
  }
  /** The plan as reviewers read it (`formatPlan`), recomputed when the state has moved on. */
  get formatted(): string {
    const state = this.state;
    if (!this.#formatted || this.#formatted.seq !== state.seq || this.#formatted.version !== state.plan.version) {
      this.#formatted = { seq: state.seq, version: state.plan.version, text: formatPlan(state.plan) };
    }
    return this.#formatted.text;
  }

  /** The plan's progress at a glance. */
  summary(now?: number): PlanSummary {
    return summary(this.state.plan, now);
  }

  /**
   * Listens to one event type, every event (`"*"`), presence, or any state change. Returns an
   * unsubscribe function. A `"presence"` listener gets the whole list and what changed (who joined,
   * who left), only when something did.
   */
  on<T extends PlanEventType>(type: T, listener: (event: PlanEventOf<T>, state: PlanState) => void): () => void;
  on(type: "*", listener: (event: PlanEvent, state: PlanState) => void): () => void;
  on(type: "presence", listener: (members: PresenceMember[], change: PresenceChange) => void): () => void;
  on(type: "change", listener: (state: PlanState) => void): () => void;
  on(type: keyof RoomListeners, listener: (...args: never[]) => void): () => void {
    return this.#hub.on(type, listener as RoomListeners[typeof type]);
  }

  /** Votes to approve the current version. */
  async approve(comment?: string): Promise<void> {
    await this.client.command("plan:vote", { planId: this.planId, version: this.state.plan.version, decision: "approve", ...(comment !== undefined ? { comment } : {}) });
  }
  /** Votes to reject the current version. */
  async reject(reason: string): Promise<void> {
    await this.client.command("plan:vote", { planId: this.planId, version: this.state.plan.version, decision: "reject", comment: reason });
  }
  /** Starts an approved plan. */
  async execute(): Promise<{ unservedTools?: string[] | undefined }> {
    const { unservedTools } = await this.client.command("plan:execute", { planId: this.planId });
    return unservedTools ? { unservedTools } : {};
  }
  /** Cancels the plan (running steps are aborted). */
  async cancel(reason?: string): Promise<void> {
    await this.client.command("plan:cancel", { planId: this.planId, ...(reason !== undefined ? { reason } : {}) });
  }
  /** Reopens a failed or cancelled plan for another run. */
  async resume(): Promise<void> {
    await this.client.command("plan:resume", { planId: this.planId });
  }

  /** Resolves with the outcome of the approval request; rejects if the plan is cancelled first. */
  decision(): Promise<DecisionOutcome> {
    return this.#waitFor<DecisionOutcome>((state) => {
      const outcome = state.plan.decision?.outcome;
      if (outcome) return { value: outcome };
      if (state.plan.status === "cancelled") return { error: new PlanroomError("CANCELLED", `plan ${this.planId} was cancelled before a decision`) };
      return undefined;
    });
  }

  /** Resolves with the final plan once the run ends (completed, failed, cancelled, rejected or expired). */
  done(): Promise<PlanData> {
    return this.#waitFor((state) => (FINISHED_PLAN_STATUSES.has(state.plan.status) ? { value: structuredClone(state.plan) } : undefined));
  }

  /**
   * Leaves the room: no more events reach this handle. The client leaves the server's room only with
   * its last handle of the plan, so that its other handles (and the tools it serves) keep going.
   */
  async leave(): Promise<void> {
    const last = this.client.detachRoom(this);
    this.close(new PlanroomError("INTERRUPTED", `left plan ${this.planId}`));
    if (last) await this.client.command("plan:leave", { planId: this.planId });
  }

  /** @internal What a (re)join asks besides the plan and `afterSeq`. */
  protected joinOptions(): { serveTools?: boolean } {
    return {};
  }

  /** @internal Joins (first call) or re-joins with `afterSeq` (later calls, e.g. after a reconnection). */
  sync(): Promise<void> {
    if (this.#syncing) {
      this.#resyncAgain = true;
      return this.#syncing;
    }
    this.#buffer ??= [];
    const run = async (): Promise<void> => {
      try {
        do {
          this.#resyncAgain = false;
          const afterSeq = this.#needsSnapshot ? undefined : this.#state?.seq;
          const { snapshot, events } = await this.client.command("plan:join", { planId: this.planId, ...(afterSeq !== undefined ? { afterSeq } : {}), ...this.joinOptions() });
          const fresh = !this.#state || this.#needsSnapshot;
          this.#needsSnapshot = false;
          if (fresh) {
            this.#state = stateFromSnapshot(snapshot);
            this.#formatted = { seq: snapshot.seq, version: snapshot.plan.version, text: snapshot.formatted };
          }
          if (!this.#resetPresence(snapshot)) this.#resyncAgain = true;
          const pending = [...events, ...(this.#buffer ?? [])].sort((a, b) => a.seq - b.seq);
          this.#buffer = [];
          if (!this.#catchUp(snapshot, pending)) this.#resyncAgain = true;
          if (fresh) this.#hub.emit("change", this.state);
        } while (this.#resyncAgain && !this.#closed);
      } finally {
        this.#buffer = null;
        this.#presenceBuffer = [];
        this.#syncing = undefined;
      }
    };
    this.#syncing = run();
    return this.#syncing;
  }

  /**
   * @internal Re-joins in the background (after a reconnection, a gap, or a refused event). A transient
   * failure is retried with a capped backoff while the client is connected; a final one (the plan is
   * gone, or no longer visible) closes the handle with that error, so pending waits reject with it.
   */
  resync(): void {
    if (this.#closed) return;
    this.#rejoin.request();
  }

  /** @internal A live `plan:event` of this room. */
  receive(event: PlanEvent): void {
    if (this.#closed) return;
    if (this.#buffer) {
      this.#buffer.push(event);
      return;
    }
    if (!this.#state) return;
    if (event.seq <= this.#state.seq) return;
    if (event.seq !== this.#state.seq + 1) {
      this.#buffer = [event];
      this.resync();
      return;
    }
    this.#apply(event);
  }

  /** @internal A `presence:delta` of this room. */
  receivePresence(delta: PresenceDelta): void {
    if (this.#closed) return;
    if (this.#buffer) {
      this.#presenceBuffer.push(delta);
      return;
    }
    if (!this.#state) return;
    const folded = this.#presence.apply(delta);
    if (folded === "gap") {
      this.#presenceBuffer.push(delta);
      this.resync();
    } else if (folded !== "included" && !isEmptyChange(folded.change)) {
      this.#hub.emit("presence", this.#presence.members, folded.change);
    }
  }

  /** @internal The connection dropped: deltas it brought mean nothing to the next one (the re-join brings a new snapshot). */
  connectionLost(): void {
    this.#presenceBuffer = [];
  }

  /** @internal The client closed or the handle left: pending waits reject with `error`. */
  close(error: PlanroomError): void {
    if (this.#closed) return;
    this.#closed = error;
    this.#rejoin.wake();
    this.#hub.emit("closed", error);
  }

  /** Applies contiguous events after the state's seq; falls back to the snapshot over a gap. */
  #catchUp(snapshot: Snapshot, events: PlanEvent[]): boolean {
    let usedSnapshot = false;
    const useSnapshot = (): boolean => {
      if (usedSnapshot || snapshot.seq <= this.state.seq) return false;
      usedSnapshot = true;
      this.#state = stateFromSnapshot(snapshot);
      this.#hub.emit("change", this.#state);
      return true;
    };
    for (const event of events) {
      if (event.seq <= this.state.seq) continue;
      if (event.seq !== this.state.seq + 1) {
        if (!useSnapshot()) return false;
        if (event.seq <= this.state.seq) continue;
        if (event.seq !== this.state.seq + 1) return false;
      }
      if (!this.#apply(event)) return false;
    }
    useSnapshot();
    return true;
  }

  /** Folds one event in and notifies listeners; false when the fold refused it. */
  #apply(event: PlanEvent): boolean {
    const state = this.state;
    try {
      applyEvent(state, event);
    } catch {
      // The copy diverged from the server's (or the event is malformed): start over from a snapshot.
      this.#needsSnapshot = true;
      if (!this.#syncing) this.resync();
      else this.#resyncAgain = true;
      return false;
    }
    // TypeScript cannot tie `event.type` to `event` across the union, so the cast is needed (tsc fails without it); the rule's checker wrongly calls it unnecessary.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    this.#hub.emit(event.type, event as never, state);
    this.#hub.emit("*", event, state);
    this.#hub.emit("change", state);
    return true;
  }

  /**
   * Takes a snapshot's presence and folds in the deltas that came while joining (those it already
   * includes are skipped); notifies once with the net change. False when a delta is missing after it.
   */
  #resetPresence(snapshot: Snapshot): boolean {
    const before = this.#presence.members;
    this.#presence.reset(snapshot.presence, snapshot.presenceRev);
    const buffered = this.#presenceBuffer.sort((a, b) => a.rev - b.rev);
    this.#presenceBuffer = [];
    let complete = true;
    for (const delta of buffered) {
      if (this.#presence.apply(delta) !== "gap") continue;
      complete = false;
      break;
    }
    const change = presenceChange(before, this.#presence.members);
    if (!isEmptyChange(change)) this.#hub.emit("presence", this.#presence.members, change);
    return complete;
  }

  #waitFor<T>(check: StateCheck<T>): Promise<T> {
    return waitForRoomState({ hub: this.#hub, state: () => this.#state, closedWith: () => this.#closed }, check);
  }
}
