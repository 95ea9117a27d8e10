import { afterAll, afterEach, describe, expect, it } from "vitest";
import { applyEvent, type PlanEvent, type PlanState } from "../../../shared/index.js";
import type { Store } from "../../../server/store/store.js";
import { PlanEvents } from "./plan-events.js";
import { storedStates } from "../../support/stored-states.js";
import { harnesses, rejection } from "./store-harnesses.js";

function fold(events: PlanEvent[]): PlanState | undefined {
  let state: PlanState | undefined;
  for (const event of events) state = applyEvent(state, structuredClone(event));
  return state;
}

for (const makeHarness of harnesses) {
  const harness = makeHarness();
  describe.skipIf(harness.skip ?? false)(`Store contract: ${harness.name}`, () => {
    let store: Store;
    afterEach(async () => {
      await store?.close().catch(() => undefined);
      await harness.cleanup();
    });
    afterAll(async () => {
      await harness.dispose?.();
    });

    it("reports itself writable while open, and why not once closed", async () => {
      store = await harness.create();
      expect(store.health?.()).toEqual({ writable: true });
      await store.close();
      expect(store.health?.()).toEqual({ writable: false, reason: expect.stringContaining("not open") });
    });

    it("appends and reads events back, in order, after a given seq", async () => {
      store = await harness.create();
      const p = new PlanEvents("p1");
      const events = [p.submitted(), p.vote("r1"), p.vote("r2"), ...p.run()];
      await store.append(events.slice(0, 3));
      await store.append(events.slice(3));
      expect(await store.readEvents("p1")).toEqual(events);
      expect(await store.readEvents("p1", 4)).toEqual(events.slice(4));
      expect(await store.readEvents("p1", events.length)).toEqual([]);
      expect(await store.readEvents("nope")).toEqual([]);
      await expect(store.readEvents("../escape")).rejects.toMatchObject({ code: "VALIDATION" });
    });

    it("rejects a seq gap, a repeated seq, mixed plans and invalid events, storing none of the call", async () => {
      store = await harness.create();
      const p = new PlanEvents("p1");
      const first = p.submitted();
      const early = new PlanEvents("p1");
      early.submitted();
      expect((await rejection(store.append([early.vote()]))).code).toBe("CONFLICT");
      await store.append([first]);
      expect((await rejection(store.append([first]))).code).toBe("CONFLICT");
      const v2 = p.vote();
      const v3 = p.vote();
      const v4 = p.vote();
      expect((await rejection(store.append([v2, v4]))).code).toBe("CONFLICT");
      const other = new PlanEvents("p2").submitted();
      expect((await rejection(store.append([v2, { ...other, seq: 3 }]))).code).toBe("VALIDATION");
      const bad = { ...v2, data: { vote: { decision: "maybe" } } } as unknown as PlanEvent;
      expect((await rejection(store.append([bad]))).code).toBe("VALIDATION");
      expect(await store.readEvents("p1")).toEqual([first]);
      await store.append([v2, v3, v4]);
      expect((await store.readEvents("p1")).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
      await store.append([]);
    });

    it("accepts a writer's next append before the previous one resolved", async () => {
      store = await harness.create();
      const p = new PlanEvents("p1");
      const events = [p.submitted(), p.vote(), p.vote(), p.vote()];
      await Promise.all(events.map((e) => store.append([e])));
      expect(await store.readEvents("p1")).toEqual(events);
    });

    it("keeps many plans appending concurrently apart", async () => {
      store = await harness.create();
      const plans = Array.from({ length: 40 }, (_, i) => new PlanEvents(`plan-${i}`));
      const written = new Map<string, PlanEvent[]>();
      await Promise.all(
        plans.map(async (p) => {
          const mine: PlanEvent[] = [];
          written.set(p.planId, mine);
          const first = p.submitted();
          mine.push(first);
          await store.append([first]);
          for (let i = 0; i < 15; i++) {
            const event = p.vote(`r${i}`);
            mine.push(event);
            await store.append([event]);
          }
        }),
      );
      for (const p of plans) expect(await store.readEvents(p.planId)).toEqual(written.get(p.planId));
    });

    it("rebuilds after a restart exactly what the live fold holds, and replays afterSeq", async () => {
      store = await harness.create();
      const a = new PlanEvents("a");
      const b = new PlanEvents("b");
      const aEvents = [a.submitted(), a.vote("r1"), ...a.run()];
      const bEvents = [b.submitted(), b.vote("r1", "reject")];
      await store.append(aEvents);
      await store.append(bEvents);
      store = await harness.restart(store);
      const states = await storedStates(store);
      const byId = new Map(states.map((s) => [s.plan.id, s]));
      expect(byId.size).toBe(2);
      expect(byId.get("a")).toEqual(fold(aEvents));
      expect(byId.get("b")).toEqual(fold(bEvents));
      expect(byId.get("a")?.plan.status).toBe("completed");
      expect(await store.readEvents("a", 5)).toEqual(aEvents.slice(5));
      // the log continues where it stopped
      const more = b.vote("r2");
      await store.append([more]);
      expect((await store.readEvents("b")).map((e) => e.seq)).toEqual([1, 2, 3]);
    });

    it("rebuilds from a snapshot plus the log tail, and ignores a snapshot ahead of the log", async () => {
      store = await harness.create();
      const p = new PlanEvents("snap");
      const head = [p.submitted(), p.vote("r1")];
      await store.append(head);
      const snapshot = fold(head)!;
      snapshot.plan.description = "from the snapshot";
      store.saveSnapshot(snapshot);
      const tail = p.run();
      await store.append(tail);
      const q = new PlanEvents("ahead");
      const qEvents = [q.submitted()];
      await store.append(qEvents);
      const ahead = fold([...qEvents])!;
      ahead.seq = 50;
      ahead.plan.description = "ahead of the log";
      store.saveSnapshot(ahead);
      await store.flush();
      store = await harness.restart(store);
      const byId = new Map((await storedStates(store)).map((s) => [s.plan.id, s]));
      const expected = fold([...head, ...tail])!;
      expected.plan.description = "from the snapshot";
      expect(byId.get("snap")).toEqual(expected);
      expect(byId.get("ahead")).toEqual(fold(qEvents));
    });

    it("stores documents durably and refuses unsafe keys", async () => {
      store = await harness.create();
      expect(await store.getDocument("principals")).toBeUndefined();
      await store.setDocument("principals", { tokens: ["a", "b"], n: 2 });
      await store.setDocument("principals", { tokens: ["c"], n: 1 });
      store = await harness.restart(store);
      expect(await store.getDocument("principals")).toEqual({ tokens: ["c"], n: 1 });
      expect((await rejection(store.setDocument("../escape", 1))).code).toBe("VALIDATION");
      expect((await rejection(store.getDocument("a/b"))).code).toBe("VALIDATION");
    });

    it("grants one executor lease per plan with growing fencing epochs, also across restarts", async () => {
      store = await harness.create();
      expect(await store.acquireLease("p", "exec-1")).toEqual({ epoch: 1, head: 0 });
      expect(await store.acquireLease("p", "exec-1")).toEqual({ epoch: 2, head: 0 });
      expect((await rejection(store.acquireLease("p", "exec-2"))).code).toBe("CONFLICT");
      expect(await store.acquireLease("other", "exec-2")).toEqual({ epoch: 1, head: 0 });
      await store.releaseLease("p", "exec-2"); // not the holder: nothing happens
      expect((await rejection(store.acquireLease("p", "exec-2"))).code).toBe("CONFLICT");
      await store.releaseLease("p", "exec-1");
      expect(await store.acquireLease("p", "exec-2")).toEqual({ epoch: 3, head: 0 });
      store = await harness.restart(store);
      expect(await store.acquireLease("p", "exec-3")).toEqual({ epoch: 4, head: 0 });
    });

    it("fences appends that carry a lease: a stale epoch or a foreign owner is refused, storing nothing", async () => {
      store = await harness.create();
      const p = new PlanEvents("p1");
      await store.append([p.submitted()]); // no lease: not an executor write, always allowed
      const first = await store.acquireLease("p1", "exec-1");
      const v2 = p.vote("r1");
      await store.append([v2], { lease: { owner: "exec-1", epoch: first.epoch } });
      const second = await store.acquireLease("p1", "exec-1"); // taken over (a new run of the same owner)
      const [v3, v4] = [p.vote("r2"), p.vote("r3")];
      const stale = await rejection(store.append([v3, v4], { lease: { owner: "exec-1", epoch: first.epoch } }));
      expect(stale.code).toBe("CONFLICT");
      expect((await rejection(store.append([v3], { lease: { owner: "exec-2", epoch: second.epoch } }))).code).toBe("CONFLICT");
      expect((await store.readEvents("p1")).map((e) => e.seq)).toEqual([1, 2]);
      await store.append([v3, v4], { lease: { owner: "exec-1", epoch: second.epoch } });
      await store.append([p.vote("r4")]);
      expect((await store.readEvents("p1")).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);

      // released, then taken by another owner: the old token stays refused
      await store.releaseLease("p1", "exec-1");
      const v6 = p.vote("r5");
      expect((await rejection(store.append([v6], { lease: { owner: "exec-1", epoch: second.epoch } }))).code).toBe("CONFLICT");
      const third = await store.acquireLease("p1", "exec-2");
      expect((await rejection(store.append([v6], { lease: { owner: "exec-1", epoch: second.epoch } }))).code).toBe("CONFLICT");
      await store.append([v6], { lease: { owner: "exec-2", epoch: third.epoch } });

      // a restart frees every lease: a token from before it is stale
      store = await harness.restart(store);
      const v7 = p.vote("r6");
      expect((await rejection(store.append([v7], { lease: { owner: "exec-2", epoch: third.epoch } }))).code).toBe("CONFLICT");
      expect((await store.readEvents("p1")).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    });

    it("answers plan queries from its index: newest first, filtered, paged with a cursor, the same after a restart", async () => {
      store = await harness.create();
      // plan i is created at second i; submitters alternate; every third plan names alice alone
      const agents = [
        { id: "agent-1", name: "Agent" },
        { id: "agent-2", name: "Other agent" },
      ];
      for (let i = 0; i < 7; i++) {
        const p = new PlanEvents(`q${i}`, () => 1_700_000_000_000 + i * 1_000);
        const events = [p.submitted({ submittedBy: agents[i % 2]!, reviewers: i % 3 === 0 ? ["alice"] : ["reviewer"] })];
        if (i < 3) events.push(p.vote(), ...p.run()); // q0..q2 completed
        else if (i === 5) events.push(p.vote("rev-1", "reject"), p.rejected());
        await store.append(events);
      }
      const ids = (page: { plans: { row: { id: string } }[] }): string[] => page.plans.map((p) => p.row.id);
      const check = async (s: Store): Promise<void> => {
        const first = await s.queryPlans({ limit: 3 });
        expect(ids(first)).toEqual(["q6", "q5", "q4"]);
        expect(first.next).toEqual({ createdAt: 1_700_000_004_000, id: "q4" });
        const second = await s.queryPlans({ limit: 3, after: first.next });
        expect(ids(second)).toEqual(["q3", "q2", "q1"]);
        const third = await s.queryPlans({ limit: 3, after: second.next });
        expect(ids(third)).toEqual(["q0"]);
        expect(third.next).toBeUndefined();
        expect(ids(await s.queryPlans({ limit: 10, status: ["pending_approval"] }))).toEqual(["q6", "q4", "q3"]);
        expect(ids(await s.queryPlans({ limit: 10, status: ["completed", "rejected"], submittedBy: "agent-2" }))).toEqual(["q5", "q1"]);
        // alice, without roles, sees the plans that name her; an observer sees all
        expect(ids(await s.queryPlans({ limit: 10, visibleTo: { id: "alice", roles: [] } }))).toEqual(["q6", "q3", "q0"]);
        expect(ids(await s.queryPlans({ limit: 10, visibleTo: { id: "watcher", roles: ["observer"] } }))).toHaveLength(7);
        // plans a reviewer may vote on: pending, naming the role
        expect(ids(await s.queryPlans({ limit: 10, votableBy: { principal: { id: "rev-9", roles: ["reviewer"] }, voterRoles: ["reviewer"] } }))).toEqual(["q4"]);
        expect(ids(await s.queryPlans({ limit: 10, votableBy: { principal: { id: "alice", roles: ["reviewer"] }, voterRoles: ["reviewer"] } }))).toEqual(["q6", "q4", "q3"]);
        // by time: [second 2, second 5)
        expect(ids(await s.queryPlans({ limit: 10, createdFrom: 1_700_000_002_000, createdBefore: 1_700_000_005_000 }))).toEqual(["q4", "q3", "q2"]);
        const rows = new Map((await s.queryPlans({ limit: 10 })).plans.map((p) => [p.row.id, p.row]));
        expect(rows.get("q1")).toMatchObject({ status: "completed", finished: 2, total: 2, progress: 100, approvals: 1, seq: 9, submittedBy: agents[1] });
        expect(rows.get("q4")).toMatchObject({ status: "pending_approval", finished: 0, approvals: 0, seq: 1 });
        expect(Object.fromEntries(await s.countPlans())).toEqual({ completed: 3, pending_approval: 3, rejected: 1 });
      };
      await check(store);
      store = await harness.restart(store);
      await check(store);
      await expect(store.queryPlans({ limit: 0 })).rejects.toThrow(/limit/);
    });

    it("loads one plan from its snapshot and the events after it; an unknown plan is undefined", async () => {
      store = await harness.create();
      const p = new PlanEvents("one");
      const events = [p.submitted(), p.vote(), ...p.run()];
      await store.append(events.slice(0, 3));
      store.saveSnapshot(fold(events.slice(0, 3))!);
      await store.append(events.slice(3));
      await store.flush();
      expect(await store.loadPlan("one")).toEqual(fold(events));
      store = await harness.restart(store);
      expect(await store.loadPlan("one")).toEqual(fold(events));
      expect(await store.loadPlan("nobody")).toBeUndefined();
    });

    it("checks the lease when an append is accepted: one accepted before a takeover is kept, one after it refused", async () => {
      store = await harness.create();
      const p = new PlanEvents("p1");
      await store.append([p.submitted()]);
      const { epoch } = await store.acquireLease("p1", "exec-1");
      const lease = { owner: "exec-1", epoch };
      const kept = store.append([p.vote("r1")], { lease }); // not awaited: the takeover races its commit
      await store.releaseLease("p1", "exec-1");
      const takeover = await store.acquireLease("p1", "exec-2");
      await kept;
      const late = p.vote("r2");
      expect((await rejection(store.append([late], { lease }))).code).toBe("CONFLICT");
      await store.append([late], { lease: { owner: "exec-2", epoch: takeover.epoch } });
      expect((await store.readEvents("p1")).map((e) => e.seq)).toEqual([1, 2, 3]);
    });
  });
}
