import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../../../server/store/memory-store.js";
import type { Store } from "../../../server/store/store.js";
import type { ToolContext } from "../../../server/executor/tool-registry.js";
import { chainPlan, useTestServer } from "../../support/planroom-test-kit.js";
import { deferred } from "../executor/executor-fixtures.js";

const scope = useTestServer();

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

describe("executor lease fencing in the server", () => {
  it("stops a run whose lease was taken over: its later events are refused and never stored or shown", async () => {
    const store: Store = createMemoryStore();
    const owners = new Map<string, string>();
    const acquire = store.acquireLease.bind(store);
    store.acquireLease = (planId, owner) => {
      owners.set(planId, owner);
      return acquire(planId, owner);
    };
    const errors: string[] = [];
    const calls: ToolContext[] = [];
    const answer = deferred<unknown>();
    const slow = (_params: unknown, ctx: ToolContext) => {
      calls.push(ctx);
      return calls.length === 1 ? answer.promise : new Promise(() => {});
    };
    await scope.start({ store, tools: { slow }, log: { info() {}, warn: (m) => errors.push(m), error: (m) => errors.push(m) } });
    const agent = await scope.join("agent-1");
    const rev = await scope.join("rev-1");
    const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["slow", "slow"]), autoExecute: true });
    await rev.ok("plan:join", { planId });
    await rev.ok("plan:vote", { planId, version: 1, decision: "approve" });
    await until(() => calls.length === 1, "the first step to start");
    await rev.waitFor((e) => e.type === "step.started");

    // another executor takes the plan over
    const owner = owners.get(planId)!;
    await store.releaseLease(planId, owner);
    const takeover = await store.acquireLease(planId, "another-server");
    answer.resolve("too late");

    // s1's completion is refused, so its dependent s2 (which waits for it to be durable) never runs
    await until(() => errors.some((m) => m.includes("not current")), "the refusal");
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toHaveLength(1);
    const stored = await store.readEvents(planId);
    expect(stored.at(-1)).toMatchObject({ type: "step.started", data: { stepId: "s1" } });
    expect(stored.some((e) => e.type === "step.completed")).toBe(false);
    expect(rev.events.some((e) => e.type === "step.completed")).toBe(false);
    expect(errors.some((m) => m.includes("the run stops") && m.includes("not current"))).toBe(true);
    // the stale run did not free the new holder's lease
    await expect(store.acquireLease(planId, owner)).rejects.toMatchObject({ code: "CONFLICT" });
    expect(takeover.epoch).toBeGreaterThan(1);
  });
});
