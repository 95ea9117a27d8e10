import { PlanIdSchema, planListRow, PlanroomError, type PlanEventOf, type PlanListItem, type PlanState, type Principal } from "../../shared/index.js";
import { canSee } from "../auth/access-rules.js";
import { isLiveStatus, LIVE_PLAN_STATUSES, matchesPlanQuery, planKeys, type PlanPage, type PlanPosition, type PlanQuery } from "../store/plan-query.js";
import type { Store } from "../store/store.js";
import { LoopTurns } from "../runtime/loop-turns.js";
import { PlanRoom } from "./plan-room.js";
import type { RoomReactions } from "./room-reactions.js";
import type { RunRegistry } from "./run-registry.js";

/** Stored plans loaded at once at start. */
const RESTORE_CONCURRENCY = 16;
/** Index rows read per page at start. */
const RESTORE_PAGE = 500;

/** One page of a list: its rows, and where the next page starts when there is one. */
export interface ListPage {
  plans: PlanListItem[];
  next?: PlanPosition;
}

/** How many finished rooms stay in memory while nobody uses them (see `limits` in the configuration). */
interface FinishedRoomLimits {
  /** The most idle finished rooms kept. */
  finishedRoomsCached: number;
  /** The most bytes (estimated, see `PlanRoom.estimateBytes`) the idle finished rooms kept may hold together. */
  finishedRoomsBytes: number;
}

/** What the directory needs from the server. */
export interface RoomDirectoryDeps {
  store: Store;
  /** Builds every room's hooks and is told of rooms that join or leave memory (see `RoomReactions`). */
  reactions: RoomReactions;
  /** The runs, which hold their rooms until their last events are durable and their lease released. */
  runs: Pick<RunRegistry, "holding">;
  limits: FinishedRoomLimits;
}

/**
 * The plan rooms of the server: creation, lookup with access checks, lists, and the rooms of the
 * live plans brought back at start. What follows from a room's events is `RoomReactions`' job.
 *
 * Memory holds what is live: the room of every plan that is not finished (draft, pending approval,
 * approved, executing), and of the finished plans used lately, least recently used first out once
 * more than `finishedRoomsCached` of them, or more than `finishedRoomsBytes`, are kept. A finished
 * room leaves memory only when nobody needs it (no members, no events on their way, no run holding
 * it, no command in the middle of using it); a finished plan not in memory is loaded from the
 * store (snapshot and the events after it) when a command or a route asks for it. Lists page
 * through the store's plan index, never through the rooms.
 */
export class RoomDirectory {
  /** Every room in memory, by plan id. */
  private readonly rooms = new Map<string, PlanRoom>();
  /** The finished rooms in memory, least recently used first, with the bytes each was estimated at. */
  private readonly finished = new Map<PlanRoom, number>();
  private finishedBytes = 0;
  /** Plans being loaded: concurrent asks share one load. */
  private readonly loading = new Map<string, Promise<PlanRoom | undefined>>();
  /** Rooms of new plans whose first event is not durable yet: nobody sees them, nothing loads them. */
  private readonly creating = new Map<string, PlanRoom>();
  /** Rooms a command is using across an await (see `hold`), with how many hold each. */
  private readonly holds = new Map<PlanRoom, number>();
  /** Finished rooms over the bounds that could not leave yet, waiting for what keeps them. */
  private readonly waiting = new Set<PlanRoom>();
  private trimScheduled = false;
  private readonly listTurns = new LoopTurns();

  constructor(private readonly deps: RoomDirectoryDeps) {
    deps.reactions.observe({ statusChanged: (room) => this.placed(room), presenceChanged: (room) => this.presenceChanged(room) });
  }

  /** A room for a new plan, writing its `plan.submitted` now; seen only once `add`ed (after that write is durable). */
  create(submitted: PlanEventOf<"plan.submitted">): PlanRoom {
    const room = new PlanRoom({ submitted }, this.deps.reactions.roomDeps);
    this.creating.set(room.id, room);
    room.settled().catch(() => {
      if (this.creating.get(room.id) === room) this.creating.delete(room.id);
    });
    return room;
  }

  /** Adds a room whose first event is durable. */
  add(room: PlanRoom): void {
    if (this.creating.get(room.id) === room) this.creating.delete(room.id);
    this.rooms.set(room.id, room);
    this.deps.reactions.added(room);
    this.placed(room);
  }

  /** The room of a plan if it is in memory, without access checks (server internals only). */
  get(planId: string): PlanRoom | undefined {
    return this.rooms.get(planId);
  }

  /** Every room in memory (live plans and the finished ones cached). */
  inMemory(): IterableIterator<PlanRoom> {
    return this.rooms.values();
  }

  /** How many rooms are in memory. */
  get size(): number {
    return this.rooms.size;
  }

  /** How many finished rooms are in memory, and the bytes they are estimated at. */
  get finishedInMemory(): { rooms: number; bytes: number } {
    return { rooms: this.finished.size, bytes: this.finishedBytes };
  }

  /**
   * A room the principal may see, loaded from the store when it is not in memory; `NOT_FOUND` or
   * `FORBIDDEN` otherwise. The room stays in memory at least until the caller's synchronous work
   * after the await is done; a caller that awaits again before using it `hold`s it.
   */
  async visible(planId: string, principal: Principal): Promise<PlanRoom> {
    const room = await this.find(planId);
    if (!room) throw new PlanroomError("NOT_FOUND", `no plan ${planId}`);
    if (!canSee(room.head, principal)) throw new PlanroomError("FORBIDDEN", `you may not see plan ${planId}`);
    return room;
  }

  /** A plan's room, loaded from the store when it is not in memory (no access check: for the server's own work, like the run sweeper); undefined when there is no such plan. */
  room(planId: string): Promise<PlanRoom | undefined> {
    return this.find(planId);
  }

  /**
   * Keeps a room in memory until the returned function is called (a command that awaits between
   * getting the room and using it: a join reading older events, a read paging through them).
   */
  hold(room: PlanRoom): () => void {
    this.holds.set(room, (this.holds.get(room) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.holds.get(room) ?? 1) - 1;
      if (left > 0) this.holds.set(room, left);
      else this.holds.delete(room);
      if (this.finished.has(room)) this.scheduleTrim();
    };
  }

  /**
   * One page of list rows for `query` (newest first) and the position of the next page, from the
   * plan index (see {@link rowsOf}).
   */
  async list(query: PlanQuery): Promise<ListPage> {
    return this.rowsOf(await this.indexPage(query), query);
  }

  /**
   * The list rows of a page of the plan index, as of now: a plan whose room is in memory is shown as
   * its room's durable state has it (and left out when that state does not pass the query, e.g. for
   * the moment between a write and its broadcast), a plan whose first event is not acknowledged yet
   * not at all, any other plan (a finished one, not in memory) as the index has it.
   */
  rowsOf(page: PlanPage, query: PlanQuery): ListPage {
    const plans: PlanListItem[] = [];
    for (const entry of page.plans) {
      if (this.creating.has(entry.row.id)) continue;
      const room = this.rooms.get(entry.row.id);
      if (!room?.stored) {
        plans.push(entry.row);
        continue;
      }
      const state = room.durable;
      const row = planListRow(state);
      if (matchesPlanQuery(planKeys(row, state.policy), query)) plans.push(row);
    }
    return page.next ? { plans, next: page.next } : { plans };
  }

  /** A page of the plan index (to be turned into rows with {@link rowsOf}, in the tick the answer goes out). */
  async indexPage(query: PlanQuery): Promise<PlanPage> {
    // One list a pass of the event loop: a client sending a burst of them (up to its rate limit)
    // lets other clients' commands in between instead of holding them until the burst is done.
    await this.listTurns.next();
    return this.deps.store.queryPlans(query);
  }

  /**
   * Loads the live plans (everything not finished) from the store, a bounded number at a time. All
   * their rooms are in the directory first, then each is `restored` (timers set, approved
   * auto-execute plans started, plans found executing recovered). Finished plans stay in the store
   * until asked for.
   */
  async restore(): Promise<void> {
    const rooms: PlanRoom[] = [];
    let after: PlanPosition | undefined;
    do {
      const page = await this.deps.store.queryPlans({ status: LIVE_PLAN_STATUSES, limit: RESTORE_PAGE, ...(after ? { after } : {}) });
      const states = await mapBounded(page.plans, RESTORE_CONCURRENCY, ({ row }) => this.deps.store.loadPlan(row.id));
      for (const state of states) if (state) rooms.push(this.adopt(state));
      after = page.next;
    } while (after);
    for (const room of rooms) this.deps.reactions.restored(room);
    for (const room of rooms) this.placed(room);
  }

  /** The room of a plan: in memory, or loaded (one load however many ask at once); undefined when there is no such plan yet. */
  private async find(planId: string): Promise<PlanRoom | undefined> {
    const room = this.rooms.get(planId);
    if (room) {
      this.touch(room);
      return room;
    }
    if (this.creating.has(planId) || !PlanIdSchema.safeParse(planId).success) return undefined;
    let loading = this.loading.get(planId);
    if (!loading) {
      loading = this.load(planId);
      this.loading.set(planId, loading);
      void loading.finally(() => this.loading.delete(planId)).catch(() => {});
    }
    return loading;
  }

  private async load(planId: string): Promise<PlanRoom | undefined> {
    const state = await this.deps.store.loadPlan(planId);
    // Created meanwhile (a plan acknowledged while its log was read): that room is the one.
    const present = this.rooms.get(planId);
    if (present) return present;
    if (!state) return undefined;
    const room = this.adopt(state);
    // A finished plan sets no timer and starts nothing; a live one (not restored at start) does as at a restart.
    this.deps.reactions.restored(room);
    this.placed(room);
    return room;
  }

  /** A room for a stored state, in memory from now on. */
  private adopt(state: PlanState): PlanRoom {
    const room = new PlanRoom(state, this.deps.reactions.roomDeps);
    this.rooms.set(room.id, room);
    return room;
  }

  /** Puts a room where its status says: live ones stay, finished ones join the least-recently-used order. */
  private placed(room: PlanRoom): void {
    if (this.rooms.get(room.id) !== room || !room.stored) return;
    const live = isLiveStatus(room.head.plan.status) || isLiveStatus(room.durable.plan.status);
    const bytes = this.finished.get(room);
    if (bytes !== undefined) {
      this.finished.delete(room);
      this.finishedBytes -= bytes;
    }
    if (live) return;
    // Measured once as it enters (a finished plan does not change), and again if it comes back.
    const estimate = room.estimateBytes();
    this.finished.set(room, estimate);
    this.finishedBytes += estimate;
    this.scheduleTrim();
  }

  /** A finished room was used: it is the most recently used now. */
  private touch(room: PlanRoom): void {
    const bytes = this.finished.get(room);
    if (bytes === undefined) return;
    this.finished.delete(room);
    this.finished.set(room, bytes);
  }

  private presenceChanged(room: PlanRoom): void {
    if (room.members.size === 0 && this.finished.has(room)) this.scheduleTrim();
  }

  private overBounds(): boolean {
    return this.finished.size > this.deps.limits.finishedRoomsCached || this.finishedBytes > this.deps.limits.finishedRoomsBytes;
  }

  /**
   * Trims in a later pass of the event loop, not in the middle of a command: a command that got a
   * room from `visible` does its synchronous part (recording events, which keeps the room) first.
   */
  private scheduleTrim(): void {
    if (this.trimScheduled || !this.overBounds()) return;
    this.trimScheduled = true;
    setImmediate(() => {
      this.trimScheduled = false;
      this.trim();
    });
  }

  /** Evicts idle finished rooms, least recently used first, until the bounds hold (or only busy rooms are left). */
  private trim(): void {
    for (const room of this.finished.keys()) {
      if (!this.overBounds()) return;
      if (this.idle(room)) this.evict(room);
    }
  }

  /**
   * Whether nothing needs the room in memory: no members, no events on their way, no run, nobody
   * holding it. A room kept by its writes or its run is looked at again once they are done.
   */
  private idle(room: PlanRoom): boolean {
    if (room.members.size > 0 || this.holds.has(room)) return false;
    const wait = room.writing ? room.settled() : this.deps.runs.holding(room.id);
    if (!wait) return true;
    if (!this.waiting.has(room)) {
      this.waiting.add(room);
      const again = (): void => {
        this.waiting.delete(room);
        this.scheduleTrim();
      };
      wait.then(again, again);
    }
    return false;
  }

  private evict(room: PlanRoom): void {
    const bytes = this.finished.get(room) ?? 0;
    this.finished.delete(room);
    this.finishedBytes -= bytes;
    if (this.rooms.get(room.id) === room) this.rooms.delete(room.id);
    room.dispose();
    this.deps.reactions.evicted(room);
  }
}

/** `fn` over `items`, at most `limit` at a time, results in order. */
async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
