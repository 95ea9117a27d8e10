import type { PlanRoom } from "../../rooms/plan-room.js";
import type { RoomBroadcast } from "../../rooms/room-broadcast.js";
import type { PlanroomIo } from "./planroom-io.js";
import { audienceRooms, planRoom } from "./socket-rooms.js";

/**
 * The rooms' broadcast port over Socket.IO: a plan's event goes, in one emit, to its room and to
 * the watch rooms of everyone who may see it (`audienceRooms`, worked out once per room: who may
 * see a plan never changes after its submission); presence goes to the plan's room only.
 */
export function socketBroadcast(io: PlanroomIo): RoomBroadcast {
  const audiences = new WeakMap<PlanRoom, string[]>();
  return {
    event(room, event) {
      let audience = audiences.get(room);
      if (!audience) audiences.set(room, (audience = audienceRooms(room.id, room.head)));
      io.to(audience).emit("plan:event", event);
    },
    presence(planId, delta) {
      io.to(planRoom(planId)).emit("presence:delta", delta);
    },
  };
}
