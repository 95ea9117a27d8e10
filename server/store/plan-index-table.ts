import { applyToListRow, planListRowFromSubmitted, statusAfter, type ApprovalPolicy, type PlanEvent, type PlanListItem, type PlanStatus } from "../../shared/index.js";
import { assertQueryLimit, comparePositions, matchesPlanQuery, planKeys, type PlanKeys, type PlanPosition, type PlanQuery } from "./plan-query.js";

/** Where a row is kept on disk (a store's business: the table only carries it). */
export interface StoredRow {
  offset: number;
  length: number;
}

/**
 * One plan in the index: its keys, always in memory, and its list row when it is in memory (a
 * store may keep the rows of finished plans on disk only, at `stored`). Events that reach a plan
 * whose row is not in memory move its keys at once and wait in `missed` until the row is read.
 */
export interface IndexEntry extends PlanKeys {
  row: PlanListItem | undefined;
  stored: StoredRow | undefined;
  missed: PlanEvent[] | undefined;
}

/** A page of entries, as {@link PlanIndexTable.query} finds it. */
export interface EntryPage {
  entries: IndexEntry[];
  next?: PlanPosition;
}

/** A list of entries in the index's reverse order (oldest first), so that the newest plan is pushed at the end. */
type OrderedList = IndexEntry[];

/**
 * The plan index in memory: one {@link IndexEntry} per plan, in the index's order, and the same
 * entries listed by status, by submitter and by audience (the submitter and every reviewer a
 * policy names: whoever such a key stands for may see the plan).
 *
 * A query walks the smallest of the lists its conditions allow (every plan; the statuses asked
 * for; the submitter's; the audiences of the principal's id and roles; the plans pending approval
 * for `votableBy`), newest first from its cursor, checks the other conditions on each entry's keys,
 * and stops at `limit` matches: plans the query cannot match are mostly never looked at. A new
 * plan is pushed at the end of its lists (new plans are the newest); a status change moves it
 * between two status lists. Identical policies and submitters are stored once.
 */
export class PlanIndexTable {
  private readonly byId = new Map<string, IndexEntry>();
  private readonly all: OrderedList = [];
  private readonly lists = new Map<string, OrderedList>();
  private readonly policies = new Map<string, ApprovalPolicy>();
  private readonly submitters = new Map<string, { id: string; name: string }>();
  /** Policy and submitter objects that are already the stored copies. */
  private readonly shared = new WeakSet<object>();

  /** How many plans. */
  get size(): number {
    return this.byId.size;
  }

  /** The entry of a plan. */
  get(planId: string): IndexEntry | undefined {
    return this.byId.get(planId);
  }

  /** Every entry, oldest first. */
  entries(): readonly IndexEntry[] {
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
      const entry = this.byId.get(event.planId);
      if (event.type === "plan.submitted") {
        if (entry) continue; // seq 1 again: nothing new
        this.putRow(planListRowFromSubmitted(event), event.data.policy);
      } else {
        if (!entry || event.seq <= entry.seq) continue;
        const status = entry.status;
        if (entry.row) {
          applyToListRow(entry.row, event);
          entry.status = entry.row.status;
          entry.version = entry.row.version;
        } else {
          (entry.missed ??= []).push(event);
          entry.status = statusAfter(event) ?? entry.status;
          if (event.type === "plan.revised") entry.version = event.data.plan.version;
        }
        entry.seq = event.seq;
        if (entry.status !== status) {
          remove(this.list(`s:${status}`), entry);
          insert(this.list(`s:${entry.status}`), entry);
        }
      }
      changed.add(event.planId);
    }
    return changed;
  }

  /** Adds or replaces a plan's entry from its row (a new, rebuilt or reloaded one); returns it. */
  putRow(row: PlanListItem, policy: ApprovalPolicy): IndexEntry {
    const entry: IndexEntry = { ...planKeys(row, policy), row, stored: undefined, missed: undefined };
    const old = this.byId.get(row.id);
    if (old) this.unlist(old);
    this.share(entry);
    this.byId.set(entry.id, entry);
    insert(this.all, entry);
    for (const key of keysOf(entry)) insert(this.list(key), entry);
    return entry;
  }

  /** Replaces every entry at once (an index read from disk): one sort instead of an insertion each. */
  replaceAll(entries: Iterable<IndexEntry>): void {
    this.byId.clear();
    this.lists.clear();
    this.all.length = 0;
    for (const entry of entries) {
      this.share(entry);
      this.byId.set(entry.id, entry);
    }
    for (const entry of this.byId.values()) this.all.push(entry);
    // Nearly sorted already (an index is written oldest first), which the sort is quick on.
    this.all.sort((a, b) => comparePositions(b, a));
    for (const entry of this.all) for (const key of keysOf(entry)) this.list(key).push(entry);
  }

  /** One page of the query: the matching entries (whose rows may be on disk), and where the next page starts. */
  query(query: PlanQuery): EntryPage {
    assertQueryLimit(query.limit);
    const lists = this.candidates(query);
    const start = query.after ?? (query.createdBefore !== undefined ? { createdAt: query.createdBefore, id: "" } : undefined);
    // Per list, the index of its next candidate, walking towards the oldest; strictly after `start`.
    const at = lists.map((list) => (start ? insertionPoint(list, start) : list.length) - 1);
    const entries: IndexEntry[] = [];
    let previous: IndexEntry | undefined;
    for (;;) {
      let best = -1;
      for (let i = 0; i < lists.length; i++) {
        const candidate = lists[i]![at[i]!];
        if (candidate && (best < 0 || comparePositions(candidate, lists[best]![at[best]!]!) < 0)) best = i;
      }
      if (best < 0) return { entries };
      const entry = lists[best]![at[best]!--]!;
      if (entry === previous) continue; // the same plan in two audience lists
      previous = entry;
      if (query.createdFrom !== undefined && entry.createdAt < query.createdFrom) return { entries }; // older from here on
      if (!matchesPlanQuery(entry, query)) continue;
      if (entries.length === query.limit) {
        const last = entries[entries.length - 1]!;
        return { entries, next: { createdAt: last.createdAt, id: last.id } };
      }
      entries.push(entry);
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

  private unlist(entry: IndexEntry): void {
    remove(this.all, entry);
    for (const key of keysOf(entry)) {
      const list = this.lists.get(key);
      if (list) remove(list, entry);
    }
  }

  /** Points the entry (and its row) at the one stored copy of its policy and submitter. */
  private share(entry: IndexEntry): void {
    if (!this.shared.has(entry.policy)) {
      const key = JSON.stringify(entry.policy);
      const policy = this.policies.get(key);
      if (policy) entry.policy = policy;
      else {
        this.policies.set(key, entry.policy);
        this.shared.add(entry.policy);
      }
    }
    if (!this.shared.has(entry.submittedBy)) {
      const key = `${entry.submittedBy.id}\n${entry.submittedBy.name}`;
      const submitter = this.submitters.get(key);
      if (submitter) entry.submittedBy = submitter;
      else {
        this.submitters.set(key, entry.submittedBy);
        this.shared.add(entry.submittedBy);
      }
    }
    if (entry.row) entry.row.submittedBy = entry.submittedBy;
  }
}

/** Audience keys per policy and submitter (entries share both objects, so this is computed once per pair). */
const audienceKeys = new WeakMap<ApprovalPolicy, Map<string, readonly string[]>>();

/** The lists an entry is on besides every plan's: its status, its submitter, its audiences. */
function keysOf(entry: IndexEntry): string[] {
  const submitter = entry.submittedBy.id;
  let bySubmitter = audienceKeys.get(entry.policy);
  if (!bySubmitter) audienceKeys.set(entry.policy, (bySubmitter = new Map<string, readonly string[]>()));
  let audience = bySubmitter.get(submitter);
  if (!audience) bySubmitter.set(submitter, (audience = [`u:${submitter}`, ...new Set([submitter, ...entry.policy.reviewers].map((key) => `a:${key}`))]));
  return [`s:${entry.status}`, ...audience];
}

/** Where `at` goes in an oldest-first list: after every entry that is older. */
function insertionPoint(list: OrderedList, at: PlanPosition): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    // comparePositions(x, at) > 0: x comes after `at` in the index's order, so it is older.
    if (comparePositions(list[mid]!, at) > 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insert(list: OrderedList, entry: IndexEntry): void {
  const last = list[list.length - 1];
  if (!last || comparePositions(last, entry) > 0) list.push(entry); // the newest: the usual case
  else list.splice(insertionPoint(list, entry), 0, entry);
}

function remove(list: OrderedList, entry: IndexEntry): void {
  for (let i = insertionPoint(list, entry); i < list.length; i++) {
    if (list[i] === entry) {
      list.splice(i, 1);
      return;
    }
    if (comparePositions(list[i]!, entry) !== 0) return;
  }
}
