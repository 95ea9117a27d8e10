import type { PlanEvent, PlanEventOf, PlanEventType, PlanroomError, PlanState, PresenceMember } from "../shared/index.js";
import type { PresenceChange } from "./presence-list.js";

/** The listener signatures of a room handle: one per event type, every event (`"*"`), presence, any state change, and its closing. */
export type RoomListeners = {
  [T in PlanEventType]: (event: PlanEventOf<T>, state: PlanState) => void;
} & {
  "*": (event: PlanEvent, state: PlanState) => void;
  presence: (members: PresenceMember[], change: PresenceChange) => void;
  change: (state: PlanState) => void;
  closed: (error: PlanroomError) => void;
};
