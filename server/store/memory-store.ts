import { PlanIdSchema, PlanroomError, type PlanEvent, type PlanState } from "../../shared/index.js";
import { checkAppend } from "./append-check.js";
import { foldPlan } from "./fold-plan.js";
import { LeaseTable } from "./lease-table.js";
import { PlanIndexTable } from "./plan-index-table.js";
import { DOCUMENT_KEY, type Store } from "./store.js";

/**
 * A {@link Store} in memory, with the file store's contract (gap check, validation, snapshot +
 * tail fold, leases). Its data survives `close()` + `open()` on the same object, which is how tests
 * simulate a server restart; leases do not (as after a real restart).
 */
export function createMemoryStore(): Store {
  const logs = new Map<string, PlanEvent[]>();
  const snapshots = new Map<string, PlanState>();
  const documents = new Map<string, string>();
  const epochs = new Map<string, number>();
  const leases = new LeaseTable();
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
    async acquireLease(planId, owner) {
      assertOpen();
      leases.check(planId, owner);
      const epoch = (epochs.get(planId) ?? 0) + 1;
      epochs.set(planId, epoch);
      leases.grant(planId, owner, epoch);
      return { epoch };
    },
    async releaseLease(planId, owner) {
      assertOpen();
      leases.release(planId, owner);
    },
    async flush() {},
    async close() {
      opened = false;
    },
  };
}
