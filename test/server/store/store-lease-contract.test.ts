import { afterAll, afterEach, describe, expect, it } from "vitest";
import { AppendConflictError } from "../../../server/store/append-conflict.js";
import type { CancelRequest, LeaseGrant, Store } from "../../../server/store/store.js";
import { PlanEvents } from "./plan-events.js";
import { harnesses, rejection } from "./store-harnesses.js";

/** The Store contract for executor leases that expire: takeover, renewal, release by epoch, orphaned runs, cancel requests. */
for (const makeHarness of harnesses) {
  const harness = makeHarness();
  const { time } = harness;
  const ttl = { ttlMs: time.ttlMs };

  describe.skipIf(harness.skip ?? false)(`Store contract, expiring leases: ${harness.name}`, () => {
    let store: Store;
    afterEach(async () => {
      await store?.close().catch(() => undefined);
      await harness.cleanup();
    });
    afterAll(async () => {
      await harness.dispose?.();
    });

    /** Whether `owner` can take the lease now (the grant, or undefined while another owner holds it). */
    async function tryAcquire(planId: string, owner: string): Promise<LeaseGrant | undefined> {
      try {
        return await store.acquireLease(planId, owner, ttl);
      } catch (error) {
        if ((error as { code?: string }).code === "CONFLICT") return undefined;
        throw error;
      }
    }

    /** A plan that is executing (submitted, approved, started): its events. */
    async function executing(planId: string, options: { autoExecute?: boolean } = {}): Promise<PlanEvents> {
      const p = new PlanEvents(planId);
      await store.append([p.submitted(options), p.vote(), p.approved(), p.started()]);
      return p;
    }

    it("lets another owner take an expiring lease over only once it expired, with a new epoch and the plan's head", async () => {
      store = await harness.create();
      await executing("p1");
      const first = await store.acquireLease("p1", "node-a", ttl);
      expect(first).toEqual({ epoch: 1, head: 4 });
      expect((await rejection(store.acquireLease("p1", "node-b", ttl))).message).toContain("held by node-a");
      let takeover: LeaseGrant | undefined;
      await time.expire("the takeover", async () => (takeover = await tryAcquire("p1", "node-b")) !== undefined);
      expect(takeover).toEqual({ epoch: 2, head: 4 });
      // without a TTL a lease never expires
      const held = await store.acquireLease("p2", "node-a");
      await time.pass(time.ttlMs + 1);
      expect((await rejection(store.acquireLease("p2", "node-b", ttl))).code).toBe("CONFLICT");
      expect(held.epoch).toBe(1);
      await expect(store.acquireLease("p3", "node-a", { ttlMs: 0 })).rejects.toMatchObject({ code: "VALIDATION" });
    });

    it("fences a stale lease with a lease conflict naming the current holder: released, expired, or taken over after expiry", async () => {
      store = await harness.create();
      const p = await executing("p1");
      const a = await store.acquireLease("p1", "node-a", ttl);
      await store.append([p.vote("r1")], { lease: { owner: "node-a", epoch: a.epoch } });
      await store.releaseLease("p1", "node-a");
      const released = await rejection(store.append([p.vote("r2")], { lease: { owner: "node-a", epoch: a.epoch } }));
      expect(released).toBeInstanceOf(AppendConflictError);
      expect((released as AppendConflictError).conflict).toEqual({ kind: "lease", owner: null, epoch: a.epoch });
      p.seq--;

      const b = await store.acquireLease("p1", "node-b", ttl);
      await time.expire("node-b's lease to expire", async () => (await store.orphanedRuns(10)).includes("p1"));
      const expired = await rejection(store.append([p.vote("r2")], { lease: { owner: "node-b", epoch: b.epoch } }));
      expect((expired as AppendConflictError).conflict).toEqual({ kind: "lease", owner: "node-b", epoch: b.epoch });
      p.seq--;
      const c = await store.acquireLease("p1", "node-c", ttl);
      expect(c.epoch).toBe(b.epoch + 1);
      const stale = await rejection(store.append([p.vote("r3")], { lease: { owner: "node-b", epoch: b.epoch } }));
      expect((stale as AppendConflictError).conflict).toEqual({ kind: "lease", owner: "node-c", epoch: c.epoch });
      p.seq--;
      const before = (await store.readEvents("p1")).length;
      await store.append([p.vote("r3")], { lease: { owner: "node-c", epoch: c.epoch } });
      expect((await store.readEvents("p1")).length).toBe(before + 1);
    });

    it("renews leases in one call past their first TTL, and leaves a lost one out of the result", async () => {
      store = await harness.create();
      await executing("kept");
      await executing("lost");
      const kept = await store.acquireLease("kept", "node-a", ttl);
      const lost = await store.acquireLease("lost", "node-a", ttl);
      await store.releaseLease("lost", "node-a");
      const taken = await store.acquireLease("lost", "node-b", ttl);
      const mine = [
        { planId: "kept", epoch: kept.epoch },
        { planId: "lost", epoch: lost.epoch },
      ];
      const started = time.now();
      // renew at a third of the TTL until well past the first TTL
      while (time.now() - started < time.ttlMs * 1.5) {
        const renewed = await store.renewLeases("node-a", mine, time.ttlMs);
        expect([...renewed.keys()]).toEqual(["kept"]);
        await time.pass(time.ttlMs / 3);
      }
      expect((await rejection(store.acquireLease("kept", "node-b", ttl))).code).toBe("CONFLICT");
      // the takeover's lease is untouched by the other owner's renewals, and renewing nothing renews nothing
      expect((await store.renewLeases("node-b", [{ planId: "lost", epoch: taken.epoch }], time.ttlMs)).has("lost")).toBe(true);
      expect((await store.renewLeases("node-a", [], time.ttlMs)).size).toBe(0);
    });

    it("frees nothing on a release with a stale epoch; the current epoch frees it", async () => {
      store = await harness.create();
      const first = await store.acquireLease("p1", "node-a", ttl);
      const second = await store.acquireLease("p1", "node-a", ttl); // a new run of the same owner
      await store.releaseLease("p1", "node-a", first.epoch);
      expect((await rejection(store.acquireLease("p1", "node-b", ttl))).code).toBe("CONFLICT");
      expect(await store.renewLeases("node-a", [{ planId: "p1", epoch: second.epoch }], time.ttlMs)).toEqual(new Map([["p1", {}]]));
      await store.releaseLease("p1", "node-a", second.epoch);
      expect(await store.acquireLease("p1", "node-b", ttl)).toEqual({ epoch: second.epoch + 1, head: 0 });
    });

    it("lists orphaned runs: approved auto-execute plans without a lease, then executing plans whose lease expired; not held ones", async () => {
      store = await harness.create();
      const auto = new PlanEvents("auto");
      await store.append([auto.submitted({ autoExecute: true }), auto.vote(), auto.approved()]);
      const manual = new PlanEvents("manual");
      await store.append([manual.submitted(), manual.vote(), manual.approved()]);
      const pending = new PlanEvents("pending");
      await store.append([pending.submitted({ autoExecute: true })]);
      await executing("expiring");
      await executing("held");
      await store.acquireLease("expiring", "node-a", ttl);
      await store.acquireLease("held", "node-a");
      expect(await store.orphanedRuns(10)).toEqual(["auto"]);
      await time.expire("the executing plan's lease to expire", async () => (await store.orphanedRuns(10)).includes("expiring"));
      expect(await store.orphanedRuns(10)).toEqual(["auto", "expiring"]);
      expect(await store.orphanedRuns(1)).toEqual(["auto"]);
      // taken over: no longer orphaned
      await store.acquireLease("expiring", "node-b", ttl);
      expect(await store.orphanedRuns(10)).toEqual(["auto"]);
    });

    it("stores a cancel request for an executing plan, shows it on renewal and on acquire, and drops it once the plan leaves executing", async () => {
      store = await harness.create();
      const p = await executing("p1");
      const request: CancelRequest = { reason: "stop it", by: "alice" };
      const lease = await store.acquireLease("p1", "node-a", ttl);
      expect(lease.cancel).toBeUndefined();
      expect(await store.requestCancel("p1", request)).toBe(true);
      expect(await store.renewLeases("node-a", [{ planId: "p1", epoch: lease.epoch }], time.ttlMs)).toEqual(new Map([["p1", { cancel: request }]]));
      await store.releaseLease("p1", "node-a");
      const takeover = await store.acquireLease("p1", "node-b", ttl);
      expect(takeover).toEqual({ epoch: lease.epoch + 1, head: 4, cancel: request });
      // not executing: refused and not stored
      const pending = new PlanEvents("pending");
      await store.append([pending.submitted()]);
      expect(await store.requestCancel("pending", request)).toBe(false);
      expect(await store.requestCancel("nobody", request)).toBe(false);
      expect((await store.acquireLease("pending", "node-a", ttl)).cancel).toBeUndefined();
      // cancelled: the request is gone
      await store.append([p.cancelled()], { lease: { owner: "node-b", epoch: takeover.epoch } });
      const after = await store.acquireLease("p1", "node-b", ttl);
      expect(after.cancel).toBeUndefined();
      expect(await store.requestCancel("p1", request)).toBe(false);
    });
  });
}
