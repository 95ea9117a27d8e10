import type { Principal } from "../../../shared/index.js";
import type { AccessSubject } from "../../auth/access-rules.js";

/** What the name of a plan's Socket.IO room starts with (then its id). */
export const PLAN_ROOM_PREFIX = "plan:";

/** The Socket.IO room of a plan's members. */
export function planRoom(planId: string): string {
  return `${PLAN_ROOM_PREFIX}${planId}`;
}

/** The watch rooms a principal's sockets join on `plans:watch`. */
export function watchRoomsOf(principal: Principal): string[] {
  return [`watch:id:${principal.id}`, ...principal.roles.map((r) => `watch:role:${r}`)];
}

/**
 * Every Socket.IO room whose sockets may receive a plan's events: the plan's room and the watch
 * rooms of exactly the principals `canSee` admits (one emit reaches all; Socket.IO sends a
 * socket that is in several of them one copy).
 */
export function audienceRooms(planId: string, subject: AccessSubject): string[] {
  const rooms = new Set([planRoom(planId), "watch:role:admin", "watch:role:observer", `watch:id:${subject.submittedBy.id}`]);
  for (const entry of subject.policy.reviewers) rooms.add(`watch:id:${entry}`).add(`watch:role:${entry}`);
  return [...rooms];
}
