import type { PlanEvent, PlanStatus, PresenceMember } from "../../shared/index.js";
import type { Store } from "../store/store.js";

/** What the head looked like before a batch of events was recorded (see `PlanRoomDeps.onRecorded`). */
export interface RecordedFrom {
  status: PlanStatus;
  version: number;
  /** Whether this server decided the events (`local`) or another writer did and this server learned of them (`remote`). */
  origin: "local" | "remote";
}

/** A socket joined or left a room. */
export type MembershipChange = { kind: "join"; socketId: string; member: PresenceMember } | { kind: "leave"; socketId: string };

/**
 * What a room needs from its server. The `on…` hooks are how a room drives its own reactions
 * (expiry, auto-execution, quotas, presence): a command only records events or changes membership,
 * and the room tells the one place that reacts (see `RoomReactions`). `Room` is `PlanRoom` (a
 * parameter, so that this contract does not import the class that implements it).
 */
export interface PlanRoomDeps<Room> {
  store: Store;
  /** Sends a durable event to everyone who may see the plan. */
  broadcast(event: PlanEvent, room: Room): void;
  /** Reports a store failure (the room stops accepting events). */
  onFault(error: unknown, room: Room): void;
  /** Events were recorded (folded into `head`, their write queued); `from` is the head before them. */
  onRecorded(room: Room, from: RecordedFrom, events: readonly PlanEvent[]): void;
  /** This room's own events were committed by the store (not told for events of other writers). */
  onCommitted?(room: Room, events: readonly PlanEvent[]): void;
  /** The store refused an append because another writer came first or the lease is not current. */
  onConflict?(room: Room, kind: "seq" | "lease"): void;
  /** The durable status changed (told once per such event, after it is folded into `durable`). */
  onStatusChange(room: Room): void;
  /** Someone joined or left the room. */
  onPresenceChange(room: Room): void;
  /** Which socket joined or left (told before `onPresenceChange`). */
  onMembership?(room: Room, change: MembershipChange): void;
}
