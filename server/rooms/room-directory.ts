import { PlanroomError, type PlanEventOf, type PlanState, type Principal } from "../../shared/index.js";
import { canSee } from "../auth/access-rules.js";
import type { Store } from "../store/store.js";
import { PlanRoom } from "./plan-room.js";
import type { RoomReactions } from "./room-reactions.js";

/** What the directory needs from the server. */
export interface RoomDirectoryDeps {
  store: Store;
  /** Builds every room's hooks and is told of rooms that join (see `RoomReactions`). */
  reactions: RoomReactions;
}

/**
 * Every plan room of the server: creation, lookup with access checks, and the rooms of the stored
 * plans brought back at start. What follows from a room's events is `RoomReactions`' job.
 */
export class RoomDirectory {
  private readonly rooms = new Map<string, PlanRoom>();

  constructor(private readonly deps: RoomDirectoryDeps) {}

  /** A room for a new plan, writing its `plan.submitted` now; listed only once `add`ed (after that write is durable). */
  create(submitted: PlanEventOf<"plan.submitted">): PlanRoom {
    return new PlanRoom({ submitted }, this.deps.reactions.roomDeps);
  }

  /** Adds a room whose first event is durable. */
  add(room: PlanRoom): void {
    this.rooms.set(room.id, room);
    this.deps.reactions.added(room);
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

  /**
   * Loads every stored plan. All rooms are listed first, then each is `restored` (timers set,
   * approved auto-execute plans started, plans found executing recovered).
   */
  async restore(): Promise<void> {
    const states: PlanState[] = [];
    for (let page = await this.deps.store.queryPlans({ limit: 500 }); ; page = await this.deps.store.queryPlans({ limit: 500, after: page.next })) {
      for (const { row } of page.plans) {
        const state = await this.deps.store.loadPlan(row.id);
        if (state) states.push(state);
      }
      if (!page.next) break;
    }
    const rooms = states.map((state) => new PlanRoom(state, this.deps.reactions.roomDeps));
    for (const room of rooms) this.rooms.set(room.id, room);
    for (const room of rooms) this.deps.reactions.restored(room);
  }
}
