import { describe, expect, it } from "vitest";
import { ExecutionPlan } from "../../../shared/index.js";
import { Executor } from "../../../server/executor/executor.js";

describe("a large run of quick tools", () => {
  it("lets the event loop serve others between batches of steps", async () => {
    const steps = Array.from({ length: 5_000 }, (_, i) => ({ id: `s${i}`, tool: "noop", params: {} }));
    const plan = ExecutionPlan.fromInput({ description: "many quick steps", options: { requireApproval: false, allowParallel: true, maxParallelSteps: 64 }, steps });
    let completedWhenServed = -1;
    const served = new Promise<void>((resolve) =>
      setImmediate(() => {
        completedWhenServed = plan.steps.filter((s) => s.status === "completed").length;
        resolve();
      }),
    );
    const done = await new Executor({ noop: () => null }).execute(plan);
    await served;
    expect(done.status).toBe("completed");
    // The other callback ran while the plan was still running, not only after it.
    expect(completedWhenServed).toBeGreaterThan(0);
    expect(completedWhenServed).toBeLessThan(5_000);
  });
});
