import type { Server } from "socket.io";
import { PlanroomError, type PlanState, type Principal, type Role } from "../../shared/index.js";
import { canSee, canVote, planRoom, type AccessSubject } from "../auth/access-rules.js";
import { AgentQuota } from "./agent-quota.js";
import type { Clock } from "../runtime/clock.js";
import type { Logger } from "../runtime/logger.js";
import { PlanRoom, type PlanRoomDeps } from "./plan-room.js";
import { PresenceBroadcaster } from "./presence-broadcaster.js";
import type { PlanRuns } from "./run-registry.js";
import type { PrincipalRegistry } from "../auth/principals.js";
import type { Store } from "../store/store.js";


/** The longest delay a timer can wait (2³¹ − 1 ms); longer ones fire at once. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
/** What the directory needs from the server. */
export interface PlanDirectoryDeps {
  io: Server;
  store: Store;
  clock: Clock;
  registry: PrincipalRegistry;
  runs: PlanRuns;
  log: Logger;
}

/**
 * Every plan room of the server: lookup with access checks, restore on start, approval expiry,
 * and what follows a decision (auto-execution).
 */
export class PlanDirectory {
  private readonly rooms = new Map<string, PlanRoom>();
  /** How rooms write and broadcast. */
  readonly roomDeps: PlanRoomDeps;
  /** Sends each room's presence changes, coalesced, to its members. */
  readonly presence: PresenceBroadcaster;
  /**
   * Open plans and their bytes per submitter: counted when a room is added (or, by `plan:submit`,
   * before its first write), recounted at each durable status change (which frees or takes a
   * slot), resized by `plan:revise`.
   */
  readonly quota = new AgentQuota();

  constructor(private readonly deps: PlanDirectoryDeps) {
    this.presence = new PresenceBroadcaster((planId, delta) => deps.io.to(planRoom(planId)).emit("presence:delta", delta));
    this.roomDeps = {
      store: deps.store,
      broadcast: (event, room) => deps.io.to(room.audience).emit("plan:event", event),
      // A status change frees or takes a quota slot; other events leave the counts alone.
      onStatusChange: (room) => this.quota.track(room.durable),
      onFault: (error, room) => deps.log.error(`plan ${room.id}: store failure: ${String(error)}`),
    };
  }

  /** Adds a room whose first event is durable. */
  add(room: PlanRoom): void {
    this.rooms.set(room.id, room);
    this.quota.track(room.head);
    this.scheduleExpiry(room);
  }

  /** The room of a plan, without access checks (server internals only). */
  get(planId: string): PlanRoom | undefined {
    return this.rooms.get(planId);
  }

  /** Every room (stored plans). */
  all(): PlanRoom[] {
    return [...this.rooms.values()];
  }

  /** How many plans. */
  get size(): number {
    return this.rooms.size;
  }

  /** A room the principal may see; `NOT_FOUND` or `FORBIDDEN` otherwise. */
  visible(planId: string, principal: Principal): PlanRoom {
    const room = this.rooms.get(planId);
    if (!room) throw new PlanroomError("NOT_FOUND", `no plan ${planId}`);
    if (!canSee(room.head, principal)) throw new PlanroomError("FORBIDDEN", `you may not see plan ${planId}`);
    return room;
  }

  /** The durable states the principal may see. */
  visibleStates(principal: Principal): PlanState[] {
    const out: PlanState[] = [];
    for (const room of this.rooms.values()) if (room.stored && canSee(room.head, principal)) out.push(room.durable);
    return out;
  }

  /** How many configured principals may vote on a plan with this policy and submitter, under the server's voter roles. */
  eligibleVoters(subject: AccessSubject, voterRoles: readonly Role[]): number {
    return this.deps.registry.all().filter((p) => canVote(subject, p, voterRoles)).length;
  }

  /** The configured principal with this id, if any. */
  principal(id: string): Principal | undefined {
    return this.deps.registry.get(id);
  }

  /** (Re)sets the expiry timer of a plan pending approval; clears it otherwise. */
  scheduleExpiry(room: PlanRoom): void {
    const { clock } = this.deps;
    if (room.expiryTimer !== undefined) clock.clearTimeout(room.expiryTimer);
    room.expiryTimer = undefined;
    const ttl = room.head.policy.expiresInMs;
    if (room.head.plan.status !== "pending_approval" || ttl === undefined) return;
    const version = room.head.plan.version;
    const delay = Math.max(0, room.head.requestedAt + ttl - clock.now());
    if (delay > MAX_TIMER_DELAY_MS) {
      // Timers cannot wait longer than ~24.8 days (a longer delay fires at once): wait in steps.
      room.expiryTimer = clock.setTimeout(() => this.scheduleExpiry(room), MAX_TIMER_DELAY_MS);
      return;
    }
    room.expiryTimer = clock.setTimeout(() => {
      room.expiryTimer = undefined;
      if (room.head.plan.status !== "pending_approval" || room.head.plan.version !== version) return;
      try {
        room.record([{ type: "plan.expired", at: clock.now(), data: {} }]).catch(() => {});
      } catch (error) {
        this.deps.log.error(`plan ${room.id}: could not expire: ${String(error)}`);
      }
    }, delay);
  }

  /** After a vote or a start: stops the expiry clock once decided, and auto-executes if asked to. */
  afterDecision(room: PlanRoom, actor: string): void {
    this.scheduleExpiry(room);
    if (room.head.plan.status === "approved" && room.head.autoExecute && !this.deps.runs.isRunning(room.id)) {
      this.deps.runs.start(room, actor).catch((error: unknown) => this.deps.log.error(`plan ${room.id}: auto-execute failed: ${String(error)}`));
    }
  }

  /**
   * Loads every stored plan: rooms come back with their seq; pending plans get their expiry timer
   * (from the time of the request, `requestedAt` of the folded state); approved auto-execute plans start; plans
   * found executing are recovered (the room is told through the executor's events).
   */
  async restore(): Promise<void> {
    const states = await this.deps.store.loadAll();
    for (const state of states) this.add(new PlanRoom(state, this.roomDeps));
    for (const room of this.rooms.values()) {
      const status = room.head.plan.status;
      if (status === "executing") {
        this.deps.runs.recover(room).catch((error: unknown) => this.deps.log.error(`plan ${room.id}: recovery failed: ${String(error)}`));
      } else if (status === "approved" && room.head.autoExecute) {
        this.afterDecision(room, room.head.submittedBy.id);
      }
    }
  }

  /** Stops every expiry timer and drops unsent presence changes. */
  stopTimers(): void {
    this.presence.stop();
    for (const room of this.rooms.values()) if (room.expiryTimer !== undefined) this.deps.clock.clearTimeout(room.expiryTimer);
  }
}
