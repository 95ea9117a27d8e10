import { describe, expect, it } from "vitest";
import { LeaseRenewer, type LeaseHolder } from "../../../server/rooms/lease-renewer.js";
import { silentLogger } from "../../../server/runtime/logger.js";
import { createMemoryStore } from "../../../server/store/memory-store.js";
import type { CancelRequest, Store } from "../../../server/store/store.js";
import type { ToolContext } from "../../../server/executor/tool-registry.js";
import { ManualClock, settle } from "../../support/manual-clock.js";

const TIMINGS = { ttlMs: 600, renewMs: 150 };

/** A memory store on the manual clock, its `renewLeases` counted and made to fail on demand. */
function storeOn(clock: ManualClock): { store: Store; renewals: number[]; failing: { on: boolean } } {
  const store = createMemoryStore({ clock: () => clock.now() });
  const renewals: number[] = [];
  const failing = { on: false };
  const renew = store.renewLeases.bind(store);
  store.renewLeases = (owner, leases, ttlMs) => {
    renewals.push(leases.length);
    return failing.on ? Promise.reject(new Error("connection lost")) : renew(owner, leases, ttlMs);
  };
  return { store, renewals, failing };
}

function holder(): LeaseHolder & { lostCalls: number; cancels: CancelRequest[] } {
  const h = { lostCalls: 0, cancels: [] as CancelRequest[], lost: () => void h.lostCalls++, cancelRequested: (r: CancelRequest) => void h.cancels.push(r) };
  return h;
}

function context(signal: AbortSignal): ToolContext {
  return { signal } as unknown as ToolContext;
}

describe("the lease renewer", () => {
  it("renews all held leases in one call every renewMs, and keeps them alive past their TTL", async () => {
    const clock = new ManualClock();
    const { store, renewals } = storeOn(clock);
    await store.open();
    const renewer = new LeaseRenewer({ store, clock, owner: "node-a", log: silentLogger, timings: TIMINGS });
    for (const planId of ["p1", "p2"]) {
      const grant = await store.acquireLease(planId, "node-a", { ttlMs: TIMINGS.ttlMs });
      renewer.hold(planId, grant.epoch, holder());
    }
    await clock.advance(2_000);
    expect(renewals.length).toBe(Math.floor(2_000 / TIMINGS.renewMs));
    expect(renewals.every((n) => n === 2)).toBe(true);
    // Still held: another owner cannot take them.
    await expect(store.acquireLease("p1", "node-b", { ttlMs: 600 })).rejects.toMatchObject({ code: "CONFLICT" });
    renewer.drop("p1");
    renewer.drop("p2");
    expect(clock.pendingTimers).toBe(0);
  });

  it("tells a run its lease is lost at the first renewal after another owner took it", async () => {
    const clock = new ManualClock();
    const { store } = storeOn(clock);
    await store.open();
    const renewer = new LeaseRenewer({ store, clock, owner: "node-a", log: silentLogger, timings: TIMINGS });
    const run = holder();
    renewer.hold("p1", (await store.acquireLease("p1", "node-a", { ttlMs: 600 })).epoch, run);
    await store.releaseLease("p1", "node-a");
    await store.acquireLease("p1", "node-b", { ttlMs: 600 });
    await clock.advance(TIMINGS.renewMs - 1);
    expect(run.lostCalls).toBe(0);
    await clock.advance(1);
    expect(run.lostCalls).toBe(1);
    expect(clock.pendingTimers).toBe(0); // nothing is held any more
  });

  it("passes on a cancellation request seen at renewal", async () => {
    const clock = new ManualClock();
    const { store } = storeOn(clock);
    await store.open();
    // The memory store keeps a request only for an executing plan: the answer carries one here.
    const renew = store.renewLeases.bind(store);
    store.renewLeases = async (owner, leases, ttlMs) => {
      const renewed = await renew(owner, leases, ttlMs);
      for (const [planId, entry] of renewed) renewed.set(planId, { ...entry, cancel: { reason: "stop", by: "rev-1" } });
      return renewed;
    };
    const renewer = new LeaseRenewer({ store, clock, owner: "node-a", log: silentLogger, timings: TIMINGS });
    const run = holder();
    renewer.hold("p1", (await store.acquireLease("p1", "node-a", { ttlMs: 600 })).epoch, run);
    await clock.advance(TIMINGS.renewMs - 1);
    expect(run.cancels).toEqual([]);
    await clock.advance(1);
    expect(run.cancels).toEqual([{ reason: "stop", by: "rev-1" }]);
    expect(run.lostCalls).toBe(0);
    renewer.stop();
  });

  it("fences a run once its last renewal is older than ttl − 2 × renew, and lets its tool calls go on after a renewal succeeds", async () => {
    const clock = new ManualClock();
    const { store, failing } = storeOn(clock);
    await store.open();
    const renewer = new LeaseRenewer({ store, clock, owner: "node-a", log: silentLogger, timings: TIMINGS });
    renewer.hold("p1", (await store.acquireLease("p1", "node-a", { ttlMs: 600 })).epoch, holder());
    const calls: number[] = [];
    const tools = renewer.fence("p1", new Map([["t", () => void calls.push(clock.now())]]));
    const tool = tools.get("t")!;
    expect(renewer.fenceAfterMs).toBe(300);

    failing.on = true;
    await clock.advance(300);
    expect(renewer.fenced("p1")).toBe(false); // exactly at the bound
    await clock.advance(1);
    expect(renewer.fenced("p1")).toBe(true);
    const started = clock.now();
    const call = Promise.resolve(tool({}, context(new AbortController().signal)));
    await clock.advance(200);
    expect(calls).toEqual([]); // no tool call starts while fenced

    failing.on = false;
    await clock.advance(TIMINGS.renewMs); // the next renewal succeeds
    await call;
    expect(calls).toHaveLength(1);
    expect(calls[0]!).toBeGreaterThan(started + 200);
    expect(renewer.fenced("p1")).toBe(false);
    renewer.stop();
  });

  it("refuses a fenced call that is aborted while it waits", async () => {
    const clock = new ManualClock();
    const { store, failing } = storeOn(clock);
    await store.open();
    const renewer = new LeaseRenewer({ store, clock, owner: "node-a", log: silentLogger, timings: TIMINGS });
    renewer.hold("p1", (await store.acquireLease("p1", "node-a", { ttlMs: 600 })).epoch, holder());
    let called = false;
    const tool = renewer.fence("p1", new Map([["t", () => void (called = true)]])).get("t")!;
    failing.on = true;
    await clock.advance(400);
    const controller = new AbortController();
    const call = Promise.resolve(tool({}, context(controller.signal)));
    const outcome = call.then(
      () => "ran",
      () => "refused",
    );
    controller.abort(new Error("cancelled"));
    await settle();
    expect(await outcome).toBe("refused");
    expect(called).toBe(false);
    renewer.stop();
  });
});
