import { PlanIdSchema, PlanroomError, type PlanEvent, type PlanState } from "../../shared/index.js";
import { checkAppend } from "./append-check.js";
import { foldPlan } from "./fold-plan.js";
import { checkTtl, LeaseTable } from "./lease-table.js";
import { PlanIndexTable } from "./plan-index-table.js";
import { DOCUMENT_KEY, type Store } from "./store.js";

/** Options of {@link createMemoryStore}. */
interface MemoryStoreOptions {
  /** The clock lease expiry is measured on (default `Date.now`). */
  clock?: () => number;
}

/**
 * A {@link Store} in memory, with the file store's contract (compare-and-set appends, validation,
 * snapshot + tail fold, leases with expiry on `options.clock`). Its data survives `close()` +
 * `open()` on the same object, which is how tests simulate a server restart; leases and cancel
 * requests do not (as after a real restart).
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): Store {
  const logs = new Map<string, PlanEvent[]>();
  const snapshots = new Map<string, PlanState>();
  const documents = new Map<string, string>();
  const epochs = new Map<string, number>();
  const leases = new LeaseTable(options.clock ?? Date.now);
  const index = new PlanIndexTable();
  let opened = false;

  function assertOpen(): void {
    if (!opened) throw new PlanroomError("INVALID_STATE", "the store is not open");
  }

  function eventsAfter(planId: string, afterSeq: number, limit = Number.POSITIVE_INFINITY): PlanEvent[] {
    const log = logs.get(planId) ?? [];
    // seq n sits at index n - 1
    const from = Math.max(0, afterSeq);
    return structuredClone(log.slice(from, from + limit));
  }

  function autoExecutes(planId: string): boolean {
    const first = logs.get(planId)?.[0];
    return first?.type === "plan.submitted" && first.data.autoExecute;
  }

  return {
    async open() {
      leases.clear();
      opened = true;
    },
    health() {
      return opened ? { writable: true } : { writable: false, reason: "the store is not open" };
    },
    async append(events, options) {
      assertOpen();
      // fencing first: nothing of a refused call is stored
      if (options?.lease && events[0]) leases.assertCurrent(events[0].planId, options.lease);
      const planId = checkAppend(events, (id) => logs.get(id)?.length ?? 0)?.planId;
      if (planId === undefined) return;
      let log = logs.get(planId);
      if (!log) logs.set(planId, (log = []));
      for (const event of events) log.push(structuredClone(event));
      index.apply(events);
      leases.noteEvents(events);
    },
    async readEvents(planId, afterSeq = 0, limit) {
      assertOpen();
      if (!PlanIdSchema.safeParse(planId).success) throw new PlanroomError("VALIDATION", `invalid plan id "${planId}"`);
      return eventsAfter(planId, Math.max(0, Math.floor(afterSeq)), limit);
    },
    async loadPlan(planId) {
      assertOpen();
      const log = logs.get(planId);
      if (!log) return undefined;
      return foldPlan(planId, log.length, snapshots.get(planId), async (after) => eventsAfter(planId, after));
    },
    async queryPlans(query) {
      assertOpen();
      const { entries, next } = index.query(query);
      // every row is in memory here
      const plans = entries.map((e) => structuredClone({ row: e.row!, policy: e.policy }));
      return next ? { plans, next } : { plans };
    },
    async countPlans() {
      assertOpen();
      return new Map(index.statusCounts());
    },
    saveSnapshot(state) {
      assertOpen();
      snapshots.set(state.plan.id, structuredClone(state));
    },
    async getDocument<T>(key: string) {
      assertOpen();
      if (!DOCUMENT_KEY.test(key)) throw new PlanroomError("VALIDATION", `invalid document key "${key}"`);
      const text = documents.get(key);
      return text === undefined ? undefined : (JSON.parse(text) as T);
    },
    async setDocument<T>(key: string, value: T) {
      assertOpen();
      if (!DOCUMENT_KEY.test(key)) throw new PlanroomError("VALIDATION", `invalid document key "${key}"`);
      const text = JSON.stringify(value);
      if (text === undefined) throw new PlanroomError("VALIDATION", `document "${key}" is not JSON`);
      documents.set(key, text);
    },
    async ensureDocument<T>(key: string, value: T) {
      assertOpen();
      if (!DOCUMENT_KEY.test(key)) throw new PlanroomError("VALIDATION", `invalid document key "${key}"`);
      const text = documents.get(key) ?? JSON.stringify(value);
      if (text === undefined) throw new PlanroomError("VALIDATION", `document "${key}" is not JSON`);
      documents.set(key, text);
      return JSON.parse(text) as T;
    },
    async acquireLease(planId, owner, leaseOptions) {
      assertOpen();
      const ttlMs = checkTtl(leaseOptions?.ttlMs);
      leases.check(planId, owner);
      const epoch = (epochs.get(planId) ?? 0) + 1;
      epochs.set(planId, epoch);
      const cancel = leases.grant(planId, owner, epoch, ttlMs);
      const head = logs.get(planId)?.length ?? 0;
      return cancel ? { epoch, head, cancel: { ...cancel } } : { epoch, head };
    },
    async renewLeases(owner, list, ttlMs) {
      assertOpen();
      return leases.renew(owner, list, checkTtl(ttlMs)!);
    },
    async releaseLease(planId, owner, epoch) {
      assertOpen();
      leases.release(planId, owner, epoch);
    },
    async orphanedRuns(limit) {
      assertOpen();
      const candidates = index.entries().filter((e) => e.status === "executing" || (e.status === "approved" && autoExecutes(e.id)));
      return leases.orphans(candidates.map((e) => e.id), limit);
    },
    async requestCancel(planId, request) {
      assertOpen();
      if (index.get(planId)?.status !== "executing") return false;
      leases.requestCancel(planId, request);
      return true;
    },
    async flush() {},
    async close() {
      opened = false;
    },
  };
}
