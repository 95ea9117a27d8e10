import type { PlanEvent, PresenceDelta } from "../../shared/index.js";
import type { PlanRoom } from "./plan-room.js";

/**
 * The port through which rooms reach their audience. The rooms never see the transport: the
 * Socket.IO server implements this (see `transport/socket/socket-broadcast.ts`); a server of
 * several nodes would implement it again.
 */
export interface RoomBroadcast {
  /** Sends a durable event to everyone who may see the plan (members of its room and watchers). */
  event(room: PlanRoom, event: PlanEvent): void;
  /** Sends a room's coalesced presence change to its members. */
  presence(planId: string, delta: PresenceDelta): void;
}
