import { describe, expect, it } from "vitest";
import { applyEvent, ExecutionPlan, reopenedEvent, type PlanEventBody, type PlanState } from "../../../shared/index.js";
import { Executor } from "../../../server/executor/executor.js";
import { PlanJsonCache } from "../../../server/rooms/plan-json-cache.js";

describe("PlanJsonCache", () => {
  it("encodes the folded plan exactly as JSON.stringify does, after every event of a run, a failure and a reopening", async () => {
    const steps = Array.from({ length: 30 }, (_, i) => ({ id: `s${i}`, tool: i === 17 ? "flaky" : "ok", params: { n: i }, dependsOn: i > 0 && i % 5 !== 0 ? [`s${i - 1}`] : [] }));
    const plan = ExecutionPlan.fromInput({ description: "cache me", options: { requireApproval: false, allowParallel: true, stopOnError: false }, steps });
    const bodies: PlanEventBody[] = [];
    let failures = 0;
    const executor = new Executor({ ok: (p) => ({ echoed: p }), flaky: () => (failures++ === 0 ? Promise.reject(new Error("once")) : "fine") }, { onEvent: (e) => void bodies.push(e) });
    const initial = plan.toJSON();
    await executor.execute(plan);
    bodies.push(reopenedEvent(plan, Date.now()));
    let state: PlanState = { plan: structuredClone(initial), policy: { quorum: 1 } as never, votes: [], submittedBy: { id: "a", name: "A" }, tools: [], autoExecute: false, requestedAt: 0, seq: 1 };
    const cache = new PlanJsonCache();
    expect(JSON.parse(cache.encode(state.plan))).toEqual(state.plan);
    bodies.forEach((body, i) => {
      const event = { ...body, planId: plan.id, seq: i + 2 };
      state = applyEvent(state, event);
      cache.invalidate(event);
      // Only some encodes happen (as joins come), and each must be right.
      if (i % 3 === 0 || i === bodies.length - 1) expect(JSON.parse(cache.encode(state.plan)), `after ${event.type}`).toEqual(JSON.parse(JSON.stringify(state.plan)));
    });
    expect(state.plan.steps.filter((s) => s.status === "pending").length).toBeGreaterThan(0); // the reopening reset steps
  });
});
