import { describe, expect, it } from "vitest";
import type { PlanEvent } from "../../../shared/index.js";
import { createMemoryStore } from "../../../server/store/memory-store.js";
import type { Store } from "../../../server/store/store.js";
import { chainPlan, useTestServer } from "../../support/planroom-test-kit.js";

const scope = useTestServer();

/**
 * A memory store that holds back the batch with an event of type `type` until `release()`;
 * `appended(t)` resolves once a batch with an event of type `t` reaches the store.
 */
function gatedStore(type: PlanEvent["type"]): { store: Store; reached: Promise<void>; appended(type: PlanEvent["type"]): Promise<void>; release(): void } {
  const base = createMemoryStore();
  const seen = new Map<string, () => void>();
  const waits = new Map<string, Promise<void>>();
  const appended = (t: string): Promise<void> => {
    let wait = waits.get(t);
    if (!wait) waits.set(t, (wait = new Promise<void>((r) => seen.set(t, r))));
    return wait;
  };
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let previous: Promise<unknown> = Promise.resolve();
  const store: Store = {
    ...base,
    append(events, options) {
      for (const e of events) {
        void appended(e.type);
        seen.get(e.type)?.();
      }
      const held = events.some((e) => e.type === type) ? gate : Promise.resolve();
      // Batches reach the store in the order they were sent, held ones included.
      const result = Promise.all([previous, held]).then(() => base.append(events, options));
      previous = result.catch(() => undefined);
      return result;
    },
  };
  return { store, reached: appended(type), appended, release };
}

describe("the end of a run", () => {
  it("refuses to cancel a plan that just completed, before its last event is durable", async () => {
    const gated = gatedStore("plan.completed");
    await scope.start({ store: gated.store, tools: { t: () => 1 } });
    const agent = await scope.join("agent-1");
    const rev = await scope.join("rev-1");
    const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["t"]), autoExecute: true });
    await rev.ok("plan:vote", { planId, version: 1, decision: "approve" });
    await gated.reached;
    const cancel = await agent.cmd("plan:cancel", { planId });
    gated.release();
    expect(!cancel.ok && cancel.error.code).toBe("INVALID_STATE");
    const { snapshot } = await rev.ok("plan:join", { planId });
    expect(snapshot.plan.status).toBe("completed");
    expect(rev.events.some((e) => e.type === "plan.cancelled")).toBe(false);
  });

  it("resumes a plan right after plan.failed, before that event is durable", async () => {
    const gated = gatedStore("plan.failed");
    await scope.start({ store: gated.store, tools: { t: () => { throw new Error("broken"); } } });
    const agent = await scope.join("agent-1");
    const rev = await scope.join("rev-1");
    const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["t"]), autoExecute: true });
    await rev.ok("plan:vote", { planId, version: 1, decision: "approve" });
    await gated.reached;
    const resumed = agent.cmd("plan:resume", { planId });
    // The reopening is recorded behind plan.failed, which is still on its way to the store.
    await Promise.race([resumed, gated.appended("plan.reopened")]);
    gated.release();
    const answer = await resumed;
    expect(answer.ok && answer.status).toBe("pending_approval");
    const { events } = await rev.ok("plan:join", { planId, afterSeq: 0 });
    expect(events.map((e) => e.type).slice(-2)).toEqual(["plan.failed", "plan.reopened"]);
  });
});
