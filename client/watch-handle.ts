import {
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

/**
 * Updates a list row from one event of its plan, in place; returns false when the event is not the
 * row's next one (the row is left as it was). Vote counts follow each voter's latest vote.
 */
export function applyToListItem(item: PlanListItem, event: PlanEvent, votes: Map<string, "approve" | "reject">): boolean {
  if (event.seq <= item.seq) return false;
  switch (event.type) {
    case "plan.revised":
      item.version = event.data.plan.version;
      item.description = event.data.plan.description;
      item.total = event.data.plan.steps.length;
      item.finished = 0;
      item.approvals = 0;
      item.rejections = 0;
      votes.clear();
      break;
    case "vote.cast": {
      const { voterId, decision } = event.data.vote;
      const before = votes.get(voterId);
      if (before === "approve") item.approvals--;
      if (before === "reject") item.rejections--;
      if (decision === "approve") item.approvals++;
      else item.rejections++;
      votes.set(voterId, decision);
      break;
    }
    case "plan.approved":
      item.status = "approved";
      break;
    case "plan.rejected":
      item.status = "rejected";
      break;
    case "plan.expired":
      item.status = "expired";
      break;
    case "plan.reopened":
      item.status = event.data.status;
      item.finished = Math.max(0, item.finished - event.data.resetSteps.length);
      if (event.data.status === "pending_approval") {
        item.approvals = 0;
        item.rejections = 0;
        votes.clear();
      }
      break;
    case "plan.started":
      item.status = "executing";
      break;
    case "step.completed":
    case "step.failed":
    case "step.skipped":
    case "step.cancelled":
      item.finished = Math.min(item.total, item.finished + 1);
      break;
    case "plan.completed":
      item.status = "completed";
      break;
    case "plan.failed":
      item.status = "failed";
      break;
    case "plan.cancelled":
      item.status = "cancelled";
      break;
    default:
      break;
  }
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
    quorum: policy.quorum,
    seq: event.seq,
  };
}

/**
 * Every plan this principal may see, as list rows kept up to date from the events the server
 * sends to watchers (`plans:watch`); refreshed from the server after a reconnection.
 */
export class WatchHandle {
  /** The filter this handle was opened with. */
  readonly filter: WatchFilter;
  readonly #plans = new Map<string, PlanListItem>();
  readonly #votes = new Map<string, Map<string, "approve" | "reject">>();
  readonly #hub = new ListenerHub<WatchListeners>();
  readonly #client: WatchClient;

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
    await this.#client.detachWatch(this);
  }

  /** @internal Takes the server's rows (first watch, and after a reconnection); newer rows win. */
  reset(items: PlanListItem[]): void {
    for (const item of items) {
      if (!matchesFilter(item, this.filter)) continue;
      const before = this.#plans.get(item.id);
      if (before && before.seq >= item.seq) continue;
      const row = { ...item };
      this.#plans.set(item.id, row);
      this.#votes.set(item.id, new Map());
      this.#hub.emit("plan", row);
    }
  }

  /** @internal A `plan:event` the server sent to this watcher. */
  receive(event: PlanEvent): void {
    let row = this.#plans.get(event.planId);
    if (event.type === "plan.submitted") {
      if (row && row.seq >= event.seq) return;
      row = listItemFromSubmitted(event);
      if (!matchesFilter(row, this.filter)) return;
      this.#plans.set(row.id, row);
      this.#votes.set(row.id, new Map());
    } else {
      if (!row) return;
      let votes = this.#votes.get(row.id);
      if (!votes) this.#votes.set(row.id, (votes = new Map()));
      if (!applyToListItem(row, event, votes)) return;
    }
    this.#hub.emit("event", event);
    this.#hub.emit("plan", row, event);
  }
}
