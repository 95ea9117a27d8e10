import type { PlanEvent, PlanStatus } from "../../shared/index.js";
import { assertQueryLimit, comparePositions, indexEvent, matchesPlanQuery, type IndexedPlan, type PlanPage, type PlanPosition, type PlanQuery } from "./plan-query.js";

/**
 * The plan index in memory: one {@link IndexedPlan} per plan, kept in the index's order, with
 * counts per status. A change costs a map lookup (and, for a new plan, an insertion that is a
 * `push` when the plan is the newest, as new plans are); a query walks the order from its cursor and
 * stops at `limit` matches. Stores build on it: the memory store as it is, the file store behind its
 * journal.
 */
export class PlanIndexTable {
  private readonly byId = new Map<string, IndexedPlan>();
  /** Oldest first (the reverse of the index's order), so that the newest plan is pushed at the end. */
  private readonly order: IndexedPlan[] = [];
  private readonly counts = new Map<PlanStatus, number>();

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
    return this.order;
  }

  /** Plans per status (statuses without plans left out). */
  statusCounts(): ReadonlyMap<PlanStatus, number> {
    return this.counts;
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
      else if (after.row.status !== status) this.recount(status, after.row.status);
      changed.add(event.planId);
    }
    return changed;
  }

  /** Adds or replaces a plan's entry (a rebuilt or reloaded one). */
  put(entry: IndexedPlan): void {
    const old = this.byId.get(entry.row.id);
    this.byId.set(entry.row.id, entry);
    this.recount(old?.row.status, entry.row.status);
    if (old && comparePositions(old.row, entry.row) === 0) {
      this.order[this.indexOf(old)] = entry; // same place in the order
      return;
    }
    if (old) this.order.splice(this.indexOf(old), 1);
    this.order.splice(this.insertionPoint(entry.row), 0, entry);
  }

  /** Replaces every entry at once (an index read from disk): one sort instead of an insertion each. */
  replaceAll(entries: Iterable<IndexedPlan>): void {
    this.byId.clear();
    this.counts.clear();
    for (const entry of entries) this.byId.set(entry.row.id, entry);
    this.order.length = 0;
    for (const entry of this.byId.values()) {
      this.order.push(entry);
      this.recount(undefined, entry.row.status);
    }
    this.order.sort((a, b) => comparePositions(b.row, a.row));
  }

  /** One page of the query. */
  query(query: PlanQuery): PlanPage {
    assertQueryLimit(query.limit);
    const plans: IndexedPlan[] = [];
    // Strictly after the cursor in the index's order: the entries older than it.
    for (let i = query.after ? this.insertionPoint(query.after) - 1 : this.order.length - 1; i >= 0; i--) {
      const entry = this.order[i]!;
      if (query.createdFrom !== undefined && entry.row.createdAt < query.createdFrom) break; // older from here on
      if (!matchesPlanQuery(entry, query)) continue;
      if (plans.length === query.limit) return { plans, next: position(plans[plans.length - 1]!) };
      plans.push(entry);
    }
    return { plans };
  }

  /** Where `at` goes in `order` (oldest first): after every entry that is older. */
  private insertionPoint(at: PlanPosition): number {
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      // comparePositions(x, at) > 0: x comes after `at` in the index's order, so it is older.
      if (comparePositions(this.order[mid]!.row, at) > 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private indexOf(entry: IndexedPlan): number {
    const at = this.insertionPoint(entry.row);
    for (let i = at; i < this.order.length; i++) if (this.order[i] === entry) return i;
    for (let i = at - 1; i >= 0; i--) if (this.order[i] === entry) return i;
    return -1;
  }

  private recount(from: PlanStatus | undefined, to: PlanStatus | undefined): void {
    if (from !== undefined) {
      const left = (this.counts.get(from) ?? 1) - 1;
      if (left > 0) this.counts.set(from, left);
      else this.counts.delete(from);
    }
    if (to !== undefined) this.counts.set(to, (this.counts.get(to) ?? 0) + 1);
  }
}

function position(entry: IndexedPlan): PlanPosition {
  return { createdAt: entry.row.createdAt, id: entry.row.id };
}
