import type { PlanroomError, PlanState } from "../shared/index.js";
import type { ListenerHub } from "./listener-hub.js";
import type { RoomListeners } from "./room-listeners.js";

/** What a wait reads of its room handle, whenever it looks again. */
export interface WaitableRoom {
  /** The handle's listeners: the wait looks again on every `"change"` and on `"closed"`. */
  readonly hub: ListenerHub<RoomListeners>;
  /** The handle's state; undefined before its first join. */
  state(): PlanState | undefined;
  /** Why the handle closed, once it has. */
  closedWith(): PlanroomError | undefined;
}

/** A wait's verdict on a state: settle with a value or an error, or keep waiting (undefined). */
export type StateCheck<T> = (state: PlanState) => { value: T } | { error: PlanroomError } | undefined;

/**
 * Resolves or rejects as soon as `check` settles on the room's state (now, or after a later change);
 * rejects with the closing error if the handle closes first. Stops listening once settled.
 */
export function waitForRoomState<T>(room: WaitableRoom, check: StateCheck<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const settle = (): boolean => {
      const closed = room.closedWith();
      if (closed) {
        reject(closed);
        return true;
      }
      const state = room.state();
      const outcome = state ? check(state) : undefined;
      if (!outcome) return false;
      if ("value" in outcome) resolve(outcome.value);
      else reject(outcome.error);
      return true;
    };
    if (settle()) return;
    const offChange = room.hub.on("change", () => {
      if (settle()) off();
    });
    const offClosed = room.hub.on("closed", () => {
      settle();
      off();
    });
    const off = (): void => {
      offChange();
      offClosed();
    };
  });
}
