import { afterAll, afterEach, describe, expect, it } from "vitest";
import { AppendConflictError, type AppendConflict } from "../../../server/store/append-conflict.js";
import type { Store } from "../../../server/store/store.js";
import { PlanEvents } from "./plan-events.js";
import { harnesses, rejection } from "./store-harnesses.js";

/** The conflict a refused append carries (fails the test unless it is an AppendConflictError). */
async function conflictOf(promise: Promise<unknown>): Promise<AppendConflict> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(AppendConflictError);
  expect(error.code).toBe("CONFLICT");
  return (error as AppendConflictError).conflict;
}

/** The Store contract for several writers per plan: compare-and-set appends and create-if-absent documents. */
for (const makeHarness of harnesses) {
  const harness = makeHarness();
  describe.skipIf(harness.skip ?? false)(`Store contract, many writers: ${harness.name}`, () => {
    let store: Store;
    afterEach(async () => {
      await store?.close().catch(() => undefined);
      await harness.cleanup();
    });
    afterAll(async () => {
      await harness.dispose?.();
    });

    it("refuses a stale or a gapped expected seq with a seq conflict carrying the current head, storing nothing", async () => {
      store = await harness.create();
      const p = new PlanEvents("p1");
      await store.append([p.submitted(), p.vote("r1"), p.vote("r2")]);
      // a writer that decided on head 1: its next seq (2) is stale
      const stale = new PlanEvents("p1");
      stale.seq = 1;
      expect(await conflictOf(store.append([stale.vote("late"), stale.vote("later")]))).toEqual({ kind: "seq", head: 3 });
      // one that is ahead of the head: a gap
      const ahead = new PlanEvents("p1");
      ahead.seq = 5;
      expect(await conflictOf(store.append([ahead.vote("ahead")]))).toEqual({ kind: "seq", head: 3 });
      // a plan that does not exist yet has head 0
      const none = new PlanEvents("nobody");
      none.seq = 1;
      expect(await conflictOf(store.append([none.vote()]))).toEqual({ kind: "seq", head: 0 });
      expect((await store.readEvents("p1")).map((e) => [e.seq, e.type === "vote.cast" ? e.data.vote.voterId : e.type])).toEqual([
        [1, "plan.submitted"],
        [2, "r1"],
        [3, "r2"],
      ]);
      expect(await store.readEvents("nobody")).toEqual([]);
      // catching up to the head and deciding again commits
      await store.append([p.vote("r3")]);
      expect((await store.readEvents("p1")).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    });

    it("lets exactly one of two writers' racing appends of one seq commit; the other gets a seq conflict", async () => {
      store = await harness.create();
      const other = await harness.peer(store);
      for (let round = 0; round < 5; round++) {
        const planId = `race-${round}`;
        const p = new PlanEvents(planId);
        await store.append([p.submitted()]);
        const fromA = p.vote("rev-a");
        p.seq--; // the same seq, decided by the other writer on the same head
        const fromB = p.vote("rev-b");
        const results = await Promise.allSettled([store.append([fromA]), other.append([fromB])]);
        const won = results.map((r) => r.status === "fulfilled");
        expect(won.filter(Boolean)).toHaveLength(1);
        const lost = results.find((r): r is PromiseRejectedResult => r.status === "rejected")!;
        expect(lost.reason).toBeInstanceOf(AppendConflictError);
        expect((lost.reason as AppendConflictError).conflict).toEqual({ kind: "seq", head: 2 });
        expect(await other.readEvents(planId)).toEqual([expect.objectContaining({ seq: 1 }), won[0] ? fromA : fromB]);
      }
    });

    it("creates a document only if it is absent: the first writer wins and both get what is stored", async () => {
      store = await harness.create();
      const other = await harness.peer(store);
      const [a, b] = await Promise.all([store.ensureDocument("principals", { from: "a" }), other.ensureDocument("principals", { from: "b" })]);
      expect(a).toEqual(b);
      expect([{ from: "a" }, { from: "b" }]).toContainEqual(a);
      expect(await store.ensureDocument("principals", { from: "c" })).toEqual(a);
      expect(await other.getDocument("principals")).toEqual(a);
      // setDocument still replaces it
      await store.setDocument("principals", { from: "d" });
      expect(await other.ensureDocument("principals", { from: "e" })).toEqual({ from: "d" });
      store = await harness.restart(store);
      expect(await store.ensureDocument("principals", { from: "f" })).toEqual({ from: "d" });
      expect((await rejection(store.ensureDocument("../escape", 1))).code).toBe("VALIDATION");
    });
  });
}
