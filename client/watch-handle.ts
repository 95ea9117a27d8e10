import {
  statusAfter,
  type CommandInput,
  type CommandName,
  type CommandResult,
  type PlanEvent,
  type PlanListItem,
  type PlanStatus,
} from "../shared/index.js";
import { ListenerHub } from "./listener-hub.js";

/** Which plans a watcher follows. */
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

/** Whether a list row passes a watch filter. */
export function matchesFilter(item: Pick<PlanListItem, "status" | "submittedBy">, filter: WatchFilter): boolean {
  if (filter.status !== undefined) {
    const wanted = Array.isArray(filter.status) ? filter.status : [filter.status];
    if (!wanted.includes(item.status)) return false;
  }
  if (filter.submittedBy !== undefined && item.submittedBy.id !== filter.submittedBy) return false;
  return true;
}

type Decision = "approve" | "reject";

/** Sets a row's `votes`, `approvals` and `rejections` from its voters' latest decisions. */
function deriveVotes(item: PlanListItem, votes: ReadonlyMap<string, Decision>): void {
  item.votes = [...votes].map(([voterId, decision]) => ({ voterId, decision }));
  item.approvals = item.votes.filter((v) => v.decision === "approve").length;
  item.rejections = item.votes.length - item.approvals;
}

/**
 * Updates a list row from one event of its plan, in place; returns false when the event is not the
 * row's next one (the row is left as it was). `votes` holds each voter's latest decision on the
 * current version (seed it from the row's `votes`); `approvals` and `rejections` are counted from it.
 */
export function applyToListItem(item: PlanListItem, event: PlanEvent, votes: Map<string, Decision>): boolean {
  if (event.seq <= item.seq) return false;
  switch (event.type) {
    case "plan.revised":
      item.version = event.data.plan.version;
      item.description = event.data.plan.description;
      item.total = event.data.plan.steps.length;
      item.finished = 0;
      votes.clear();
      deriveVotes(item, votes);
      break;
    case "vote.cast": {
      const { voterId, decision, version } = event.data.vote;
      if (version === item.version) votes.set(voterId, decision);
      deriveVotes(item, votes);
      break;
    }
    case "plan.reopened":
      item.finished = Math.max(0, item.finished - event.data.resetSteps.length);
      if (event.data.status === "pending_approval") {
        votes.clear();
        deriveVotes(item, votes);
      }
      break;
    case "step.completed":
    case "step.failed":
    case "step.skipped":
    case "step.cancelled":
      item.finished = Math.min(item.total, item.finished + 1);
      break;
    default:
      break;
  }
  item.status = statusAfter(event) ?? item.status;
  const ran = item.status === "completed" || item.status === "failed" || item.status === "cancelled";
  item.progress = item.total === 0 ? (ran ? 100 : 0) : (item.finished / item.total) * 100;
  item.seq = event.seq;
  item.updatedAt = event.at;
  return true;
}

/** Builds a list row from a `plan.submitted` event. */
export function listItemFromSubmitted(event: Extract<PlanEvent, { type: "plan.submitted" }>): PlanListItem {
  const { plan, policy, submittedBy } = event.data;
  return {
    id: plan.id,
    description: plan.description,
    status: plan.status,
    version: plan.version,
    submittedBy: { id: submittedBy.id, name: submittedBy.name },
    createdAt: plan.createdAt,
    updatedAt: event.at,
    total: plan.steps.length,
    finished: 0,
    progress: 0,
    approvals: 0,
    rejections: 0,
    votes: [],
    quorum: policy.quorum,
    seq: event.seq,
  };
}

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
  readonly #votes = new Map<string, Map<string, Decision>>();
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
      if (!matchesFilter(item, this.filter)) {
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
      const item = listItemFromSubmitted(event);
      if (!matchesFilter(item, this.filter)) return;
      row = this.#add(item);
    } else if (!row) {
      this.#unknown(event);
      return;
    } else {
      if (!applyToListItem(row, event, this.#votesOf(row))) return;
      if (!matchesFilter(row, this.filter)) this.#remove(row);
    }
    this.#hub.emit("event", event);
    this.#hub.emit("plan", row, event);
  }

  #add(item: PlanListItem): PlanListItem {
    const votes = new Map<string, Decision>();
    // `votes` is absent in rows from servers that predate it: keep their counts then.
    for (const v of (item.votes as PlanListItem["votes"] | undefined) ?? []) votes.set(v.voterId, v.decision);
    const row: PlanListItem = { ...item, votes: [...votes].map(([voterId, decision]) => ({ voterId, decision })) };
    this.#plans.set(row.id, row);
    this.#votes.set(row.id, votes);
    return row;
  }

  #remove(row: PlanListItem): void {
    this.#plans.delete(row.id);
    this.#votes.delete(row.id);
  }

  #votesOf(row: PlanListItem): Map<string, Decision> {
    let votes = this.#votes.get(row.id);
    if (!votes) this.#votes.set(row.id, (votes = new Map(row.votes.map((v) => [v.voterId, v.decision]))));
    return votes;
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
    if (status === undefined || !matchesFilter({ status, submittedBy: { id: "", name: "" } }, { status: this.filter.status })) return;
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
    if (item && (!row || row.seq < item.seq) && matchesFilter(item, this.filter)) this.#hub.emit("plan", this.#add(item));
    if (this.#plans.has(id)) {
      for (const event of buffered) this.receive(event);
      return;
    }
    // Not found: the plan left the filter before the list was read. A later event of those
    // gathered may have brought it back: go through them again (the first one is spent).
    for (const event of buffered.slice(1)) this.receive(event);
  }
}
