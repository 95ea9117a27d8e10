import {
  applyToListRow,
  matchesListFilter,
  planListRowFromSubmitted,
  statusAfter,
  type CommandInput,
  type CommandName,
  type CommandResult,
  type PlanEvent,
  type PlanListItem,
  type PlanStatus,
} from "../shared/index.js";
import { ListenerHub } from "./listener-hub.js";

/** Which plans a watcher follows (the filter of `plans:watch`, matched by `matchesListFilter`). */
export interface WatchFilter {
  status?: PlanStatus | PlanStatus[];
  submittedBy?: string;
}

/** What a watch handle needs from its client. */
export interface WatchClient {
  command<C extends CommandName>(name: C, payload: CommandInput<C>): Promise<CommandResult<C>>;
  detachWatch(handle: WatchHandle): Promise<void>;
}

type WatchListeners = {
  plan: (item: PlanListItem, event?: PlanEvent) => void;
  event: (event: PlanEvent) => void;
};

/** How long events of plans that came to match the filter are gathered before their rows are fetched. */
const FETCH_DELAY_MS = 20;
/** At most this many pages of `plans:list` (of 500 rows) are read to find such plans. */
const FETCH_MAX_PAGES = 10;

/**
 * Every plan this principal may see that passes the filter, as list rows kept up to date from the
 * events the server sends to watchers (`plans:watch`); refreshed from the server after a
 * reconnection. A row leaves `plans` as soon as its plan stops matching the filter (a last `plan`
 * is emitted with it), and a plan that comes to match is added: from its `plan.submitted` event,
 * or, for an older plan, from a `plans:list` call (coalesced over a few milliseconds).
 */
export class WatchHandle {
  /** The filter this handle was opened with. */
  readonly filter: WatchFilter;
  readonly #plans = new Map<string, PlanListItem>();
  readonly #hub = new ListenerHub<WatchListeners>();
  readonly #client: WatchClient;
  /** Plans whose row is being fetched, with their events received meanwhile (in order). */
  readonly #pending = new Map<string, PlanEvent[]>();
  #fetchTimer: ReturnType<typeof setTimeout> | undefined;
  #fetching = false;
  #closed = false;

  /** @internal Use `client.watch(filter)`. */
  constructor(client: WatchClient, filter: WatchFilter) {
    this.#client = client;
    this.filter = filter;
  }

  /** The plans followed, by id. */
  get plans(): ReadonlyMap<string, PlanListItem> {
    return this.#plans;
  }

  /** Listens to row changes (`plan`) or raw events (`event`); returns an unsubscribe function. */
  on(type: "plan", listener: (item: PlanListItem, event?: PlanEvent) => void): () => void;
  on(type: "event", listener: (event: PlanEvent) => void): () => void;
  on(type: keyof WatchListeners, listener: (...args: never[]) => void): () => void {
    return this.#hub.on(type, listener as WatchListeners[typeof type]);
  }

  /** Stops watching. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#fetchTimer !== undefined) clearTimeout(this.#fetchTimer);
    this.#fetchTimer = undefined;
    this.#pending.clear();
    await this.#client.detachWatch(this);
  }

  /**
   * @internal Takes the server's rows (first watch, and after a reconnection); newer rows win, and
   * a newer row that no longer passes the filter removes the plan.
   */
  reset(items: PlanListItem[]): void {
    for (const item of items) {
      const before = this.#plans.get(item.id);
      if (before && before.seq >= item.seq) continue;
      if (!matchesListFilter(item, this.filter)) {
        if (before) this.#remove(before);
        continue;
      }
      this.#hub.emit("plan", this.#add(item));
    }
  }

  /** @internal A `plan:event` the server sent to this watcher. */
  receive(event: PlanEvent): void {
    if (this.#closed) return;
    let row = this.#plans.get(event.planId);
    if (event.type === "plan.submitted") {
      if (row && row.seq >= event.seq) return;
      const item = planListRowFromSubmitted(event);
      if (!matchesListFilter(item, this.filter)) return;
      row = this.#add(item);
    } else if (!row) {
      this.#unknown(event);
      return;
    } else {
      if (!applyToListRow(row, event)) return;
      if (!matchesListFilter(row, this.filter)) this.#remove(row);
    }
    this.#hub.emit("event", event);
    this.#hub.emit("plan", row, event);
  }

  #add(item: PlanListItem): PlanListItem {
    const row: PlanListItem = { ...item, votes: item.votes.map((v) => ({ ...v })), submittedBy: { ...item.submittedBy } };
    this.#plans.set(row.id, row);
    return row;
  }

  #remove(row: PlanListItem): void {
    this.#plans.delete(row.id);
  }

  /** An event of a plan without a row: fetch the row when the event brings the plan into the filter. */
  #unknown(event: PlanEvent): void {
    const buffered = this.#pending.get(event.planId);
    if (buffered) {
      buffered.push(event);
      return;
    }
    // Without a status filter every visible plan of the submitter is already followed.
    if (this.filter.status === undefined) return;
    const status = statusAfter(event);
    if (status === undefined || !matchesListFilter({ status, submittedBy: { id: "" } }, { status: this.filter.status })) return;
    this.#pending.set(event.planId, [event]);
    this.#scheduleFetch();
  }

  #scheduleFetch(): void {
    if (this.#fetching || this.#fetchTimer !== undefined) return;
    this.#fetchTimer = setTimeout(() => {
      this.#fetchTimer = undefined;
      void this.#fetchPending();
    }, FETCH_DELAY_MS);
  }

  /** Fetches the rows of the pending plans (one `plans:list` walk at a time), then replays their events. */
  async #fetchPending(): Promise<void> {
    this.#fetching = true;
    try {
      while (this.#pending.size > 0 && !this.#closed) {
        const wanted = new Set(this.#pending.keys());
        const found = new Map<string, PlanListItem>();
        try {
          let cursor: string | undefined;
          for (let page = 0; page < FETCH_MAX_PAGES && found.size < wanted.size; page++) {
            const result = await this.#client.command("plans:list", {
              ...(this.filter.status !== undefined ? { status: this.filter.status } : {}),
              ...(this.filter.submittedBy !== undefined ? { submittedBy: this.filter.submittedBy } : {}),
              limit: 500,
              ...(cursor !== undefined ? { cursor } : {}),
            });
            for (const item of result.plans) if (wanted.has(item.id)) found.set(item.id, item);
            cursor = result.nextCursor;
            if (cursor === undefined) break;
          }
        } catch {
          // Not reachable now: after a reconnection the client re-watches and `reset` brings them.
        }
        if (this.#closed) return;
        for (const id of wanted) this.#settle(id, found.get(id));
      }
    } finally {
      this.#fetching = false;
    }
  }

  /** Adds a fetched row (unless a newer one is there) and applies the events gathered meanwhile. */
  #settle(id: string, item: PlanListItem | undefined): void {
    const buffered = this.#pending.get(id) ?? [];
    this.#pending.delete(id);
    const row = this.#plans.get(id);
    if (item && (!row || row.seq < item.seq) && matchesListFilter(item, this.filter)) this.#hub.emit("plan", this.#add(item));
    if (this.#plans.has(id)) {
      for (const event of buffered) this.receive(event);
      return;
    }
    // Not found: the plan left the filter before the list was read. A later event of those
    // gathered may have brought it back: go through them again (the first one is spent).
    for (const event of buffered.slice(1)) this.receive(event);
  }
}
