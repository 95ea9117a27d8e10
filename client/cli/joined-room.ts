import type { PlanroomClient } from "../planroom-client.js";
import type { RoomHandle } from "../room-handle.js";

/**
 * Joins a plan's room for the length of `body` and leaves it afterwards, whatever `body` does
 * (a failed leave is ignored: the command's own outcome is what the user needs).
 */
export async function inJoinedRoom<T>(client: PlanroomClient, planId: string, body: (room: RoomHandle) => Promise<T>): Promise<T> {
  const room = await client.join(planId);
  try {
    return await body(room);
  } finally {
    await room.leave().catch(() => undefined);
  }
}
