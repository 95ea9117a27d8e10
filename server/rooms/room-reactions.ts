import type { PlanEvent } from "../../shared/index.js";
import type { Clock } from "../runtime/clock.js";
import type { Logger } from "../runtime/logger.js";
import type { ServerMetrics } from "../runtime/server-metrics.js";
import type { Store } from "../store/store.js";
import type { AgentQuota } from "./agent-quota.js";
import { ApprovalExpiry } from "./approval-expiry.js";
import type { PlanRoom } from "./plan-room.js";
import type { MembershipChange, PlanRoomDeps, RecordedFrom } from "./plan-room-deps.js";
import { PresenceBroadcaster } from "./presence-broadcaster.js";
import type { RoomBroadcast } from "./room-broadcast.js";
import type { RunRegistry } from "./run-registry.js";

/** What the reactions need from the server. */
export interface RoomReactionsDeps {
  store: Store;
  clock: Clock;
  log: Logger;
  runs: Pick<RunRegistry, "start" | "recover" | "isRunning">;
  quota: AgentQuota;
  broadcast: RoomBroadcast;
  metrics?: ServerMetrics;
}

/** Who else follows rooms' lives: the directory, which keeps finished rooms only while they are used. */
export interface RoomObserver {
  /** The room's head or durable status changed (it may have finished, or come back to life). */
  statusChanged(room: PlanRoom): void;
  /** Someone joined or left the room. */
  presenceChanged(room: PlanRoom): void;
}

/**
 * The one place that sees everything a room records and reacts to it, so that a command only
 * records events (or changes membership) and cannot forget a consequence:
 *
 * - **expiry**: whenever the head's status or version moves, the approval timer is set again
 *   (revised, decided, cancelled, reopened, expired: see `ApprovalExpiry`);
 * - **auto-execution**: a plan that becomes approved with `autoExecute` starts, as the principal
 *   whose event approved it;
 * - **quotas**: a durable status change frees or takes the submitter's open-plan slot;
 * - **presence**: a join or a leave is sent to the room's members, coalesced.
 *
 * It also brings stored rooms back at start (`restored`): their timers, their auto-execution, and the
 * recovery of runs a crash interrupted (on a single-writer store; on a shared one the run sweeper
 * does both, through the plans' leases).
 */
export class RoomReactions {
  private readonly expiry: ApprovalExpiry;
  private readonly presence: PresenceBroadcaster;
  private observer: RoomObserver | undefined;
  private membership: ((room: PlanRoom, change: MembershipChange) => void) | undefined;
  private committed: ((planId: string, events: readonly PlanEvent[]) => void) | undefined;
  /** The hooks every room of this server is built with. */
  readonly roomDeps: PlanRoomDeps<PlanRoom>;

  constructor(private readonly deps: RoomReactionsDeps) {
    this.expiry = new ApprovalExpiry(deps.clock, deps.log);
    this.presence = new PresenceBroadcaster((planId, delta) => deps.broadcast.presence(planId, delta));
    this.roomDeps = {
      store: deps.store,
      broadcast: (event, room) => deps.broadcast.event(room, event),
      onFault: (error, room) => deps.log.error(`plan ${room.id}: store failure: ${String(error)}`),
      onRecorded: (room, from, events) => this.recorded(room, from, events),
      onCommitted: (room, events) => this.committed?.(room.id, events),
      onConflict: (_room, kind) => deps.metrics?.appendConflict(kind),
      onMembership: (room, change) => this.membership?.(room, change),
      onStatusChange: (room) => {
        deps.quota.track(room.durable);
        this.observer?.statusChanged(room);
      },
      onPresenceChange: (room) => {
        this.presence.changed(room);
        this.observer?.presenceChanged(room);
      },
    };
  }

  /** Tells `listener` of every room's own committed events from now on (for other nodes: see `RemoteEvents`). */
  onCommitted(listener: (planId: string, events: readonly PlanEvent[]) => void): void {
    this.committed = listener;
  }

  /** Tells `listener` which socket joined or left which room, from now on (for other nodes: see `ClusterPresence`). */
  onMembership(listener: (room: PlanRoom, change: MembershipChange) => void): void {
    this.membership = listener;
  }

  /** Tells `observer` of every room's status and presence changes from now on (one observer). */
  observe(observer: RoomObserver): void {
    this.observer = observer;
  }

  /** A room whose first event is durable joins the server's rooms. */
  added(room: PlanRoom): void {
    this.deps.quota.track(room.head);
    this.expiry.schedule(room);
  }

  /** A stored room is back after a start: timers set, auto-execution started, interrupted runs recovered. */
  restored(room: PlanRoom): void {
    this.added(room);
    // Other nodes may be running it, or about to: on a shared store the run sweeper recovers and
    // auto-executes plans, and only through their lease.
    if (this.deps.store.sharedWriters) return;
    const { status } = room.head.plan;
    if (status === "executing") {
      this.deps.runs.recover(room).catch((error: unknown) => this.deps.log.error(`plan ${room.id}: recovery failed: ${String(error)}`));
    } else {
      this.autoExecute(room, room.head.submittedBy.id);
    }
  }

  /**
   * A room leaves memory (an idle finished plan; it is loaded again when needed): nothing of it is
   * kept here any more (its timer, its unsent presence change, its quota entry, which for a finished
   * plan counts nothing).
   */
  evicted(room: PlanRoom): void {
    this.expiry.clear(room);
    this.presence.forget(room);
    this.deps.quota.forget(room.id);
  }

  /** Stops every timer and drops unsent presence changes (the server is stopping). */
  stop(): void {
    this.presence.stop();
    this.expiry.stop();
  }

  private recorded(room: PlanRoom, from: RecordedFrom, events: readonly PlanEvent[]): void {
    const { status, version } = room.head.plan;
    if (status === from.status && version === from.version) return;
    this.expiry.schedule(room);
    if (status !== from.status) this.observer?.statusChanged(room);
    // The server whose command approved the plan starts it; other servers learn of it, and take it
    // over only if its executor dies (through the lease).
    if (status === "approved" && from.origin === "local") this.autoExecute(room, events[events.length - 1]?.actor ?? room.head.submittedBy.id);
  }

  private autoExecute(room: PlanRoom, actor: string): void {
    if (room.head.plan.status !== "approved" || !room.head.autoExecute || this.deps.runs.isRunning(room.id)) return;
    this.deps.runs.start(room, actor).catch((error: unknown) => this.deps.log.error(`plan ${room.id}: auto-execute failed: ${String(error)}`));
  }
}
