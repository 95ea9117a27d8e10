import type { ApprovalPolicy, PlanEvent, PlanStatus } from "../../shared/index.js";
import { assertQueryLimit, comparePositions, indexEvent, matchesPlanQuery, type IndexedPlan, type PlanPage, type PlanPosition, type PlanQuery } from "./plan-query.js";

/** A list of entries in the index's reverse order (oldest first), so that the newest plan is pushed at the end. */
type OrderedList = IndexedPlan[];

/**
 * The plan index in memory: one {@link IndexedPlan} per plan, in the index's order, and the same
 * entries listed by status, by submitter and by audience (the submitter and every reviewer a
 * policy names: whoever such a key stands for may see the plan).
 *
 * A query walks the smallest of the lists its conditions allow (every plan; the statuses asked
 * for; the submitter's; the audiences of the principal's id and roles; the plans pending approval
 * for `votableBy`), newest first from its cursor, checks the other conditions on each entry, and
 * stops at `limit` matches: plans the query cannot match are mostly never looked at. A new plan
 * is pushed at the end of its lists (new plans are the newest); a status change moves it between
 * two status lists. Identical policies and submitters are stored once.
 */
export class PlanIndexTable {
  private readonly byId = new Map<string, IndexedPlan>();
  private readonly all: OrderedList = [];
  private readonly lists = new Map<string, OrderedList>();
  private readonly policies = new Map<string, ApprovalPolicy>();
  private readonly submitters = new Map<string, { id: string; name: string }>();

  /** How many plans. */
  get size(): number {
    return this.byId.size;
  }

  /** The entry of a plan. */
  get(planId: string): IndexedPlan | undefined {
    return this.byId.get(planId);
  }

  /** Every entry, oldest first. */
  entries(): readonly IndexedPlan[] {
    return this.all;
  }

  /** Plans per status (statuses without plans left out). */
  statusCounts(): Map<PlanStatus, number> {
    const counts = new Map<PlanStatus, number>();
    for (const [key, list] of this.lists) if (key.startsWith("s:") && list.length > 0) counts.set(key.slice(2) as PlanStatus, list.length);
    return counts;
  }

  /** Folds durable events (of any plans) into their entries; returns the ids of the plans whose entries changed. */
  apply(events: readonly PlanEvent[]): Set<string> {
    const changed = new Set<string>();
    for (const event of events) {
      const before = this.byId.get(event.planId);
      if (before && event.seq <= before.row.seq) continue;
      const status = before?.row.status;
      const after = indexEvent(before, event);
      if (!after) continue;
      if (after !== before) this.put(after);
      else if (status !== undefined && after.row.status !== status) {
        remove(this.list(`s:${status}`), after);
        insert(this.list(`s:${after.row.status}`), after);
      }
      changed.add(event.planId);
    }
    return changed;
  }

  /** Adds or replaces a plan's entry (a rebuilt or reloaded one). */
  put(entry: IndexedPlan): void {
    const old = this.byId.get(entry.row.id);
    if (old) this.unlist(old);
    this.share(entry);
    this.byId.set(entry.row.id, entry);
    insert(this.all, entry);
    for (const key of keysOf(entry)) insert(this.list(key), entry);
  }

  /** Replaces every entry at once (an index read from disk): one sort per list instead of an insertion each. */
  replaceAll(entries: Iterable<IndexedPlan>): void {
    this.byId.clear();
    this.lists.clear();
    this.all.length = 0;
    for (const entry of entries) {
      this.share(entry);
      this.byId.set(entry.row.id, entry);
    }
    for (const entry of this.byId.values()) {
      this.all.push(entry);
      for (const key of keysOf(entry)) this.list(key).push(entry);
    }
    const oldestFirst = (a: IndexedPlan, b: IndexedPlan): number => comparePositions(b.row, a.row);
    this.all.sort(oldestFirst);
    for (const list of this.lists.values()) list.sort(oldestFirst);
  }

  /** One page of the query. */
  query(query: PlanQuery): PlanPage {
    assertQueryLimit(query.limit);
    const lists = this.candidates(query);
    const start = query.after ?? (query.createdBefore !== undefined ? { createdAt: query.createdBefore, id: "" } : undefined);
    // Per list, the index of its next candidate, walking towards the oldest; strictly after `start`.
    const at = lists.map((list) => (start ? insertionPoint(list, start) : list.length) - 1);
    const plans: IndexedPlan[] = [];
    let previous: IndexedPlan | undefined;
    for (;;) {
      let best = -1;
      for (let i = 0; i < lists.length; i++) {
        const candidate = lists[i]![at[i]!];
        if (candidate && (best < 0 || comparePositions(candidate.row, lists[best]![at[best]!]!.row) < 0)) best = i;
      }
      if (best < 0) return { plans };
      const entry = lists[best]![at[best]!--]!;
      if (entry === previous) continue; // the same plan in two audience lists
      previous = entry;
      if (query.createdFrom !== undefined && entry.row.createdAt < query.createdFrom) return { plans }; // older from here on
      if (!matchesPlanQuery(entry, query)) continue;
      if (plans.length === query.limit) return { plans, next: { createdAt: plans[plans.length - 1]!.row.createdAt, id: plans[plans.length - 1]!.row.id } };
      plans.push(entry);
    }
  }

  /** The lists a query has to walk: the smallest union its conditions allow. */
  private candidates(query: PlanQuery): OrderedList[] {
    const options: OrderedList[][] = [[this.all]];
    if (query.status) options.push([...new Set(query.status)].map((s) => this.lists.get(`s:${s}`) ?? []));
    if (query.votableBy) options.push([this.lists.get("s:pending_approval") ?? []]);
    if (query.submittedBy !== undefined) options.push([this.lists.get(`u:${query.submittedBy}`) ?? []]);
    const viewer = query.visibleTo ?? query.votableBy?.principal;
    if (viewer && !(query.visibleTo && (viewer.roles.includes("admin") || viewer.roles.includes("observer")))) {
      options.push([...new Set([viewer.id, ...viewer.roles])].map((key) => this.lists.get(`a:${key}`) ?? []));
    }
    let best = options[0]!;
    let bestSize = Number.POSITIVE_INFINITY;
    for (const option of options) {
      const size = option.reduce((n, list) => n + list.length, 0);
      if (size < bestSize) [best, bestSize] = [option, size];
    }
    return best;
  }

  private list(key: string): OrderedList {
    let list = this.lists.get(key);
    if (!list) this.lists.set(key, (list = []));
    return list;
  }

  private unlist(entry: IndexedPlan): void {
    remove(this.all, entry);
    for (const key of keysOf(entry)) {
      const list = this.lists.get(key);
      if (list) remove(list, entry);
    }
  }

  /** Points the entry at the one stored copy of its policy and submitter. */
  private share(entry: IndexedPlan): void {
    const policyKey = JSON.stringify(entry.policy);
    const policy = this.policies.get(policyKey);
    if (policy) entry.policy = policy;
    else this.policies.set(policyKey, entry.policy);
    const { submittedBy } = entry.row;
    const submitterKey = `${submittedBy.id}\n${submittedBy.name}`;
    const submitter = this.submitters.get(submitterKey);
    if (submitter) entry.row.submittedBy = submitter;
    else this.submitters.set(submitterKey, submittedBy);
  }
}

/** The lists an entry is on besides every plan's: its status, its submitter, its audiences. */
function keysOf(entry: IndexedPlan): string[] {
  const submitter = entry.row.submittedBy.id;
  return [`s:${entry.row.status}`, `u:${submitter}`, ...new Set([submitter, ...entry.policy.reviewers].map((key) => `a:${key}`))];
}

/** Where `at` goes in an oldest-first list: after every entry that is older. */
function insertionPoint(list: OrderedList, at: PlanPosition): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    // comparePositions(x, at) > 0: x comes after `at` in the index's order, so it is older.
    if (comparePositions(list[mid]!.row, at) > 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insert(list: OrderedList, entry: IndexedPlan): void {
  const last = list[list.length - 1];
  if (!last || comparePositions(last.row, entry.row) > 0) list.push(entry); // the newest: the usual case
  else list.splice(insertionPoint(list, entry.row), 0, entry);
}

function remove(list: OrderedList, entry: IndexedPlan): void {
  for (let i = insertionPoint(list, entry.row); i < list.length; i++) {
    if (list[i] === entry) {
      list.splice(i, 1);
      return;
    }
    if (comparePositions(list[i]!.row, entry.row) !== 0) return;
  }
}
