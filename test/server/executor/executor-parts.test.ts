import { describe, expect, it } from "vitest";
import type { ToolContext as PortableToolContext, ToolHandler as PortableToolHandler } from "../../../shared/index.js";
import { Executor } from "../../../server/executor/executor.js";
import { DeadlineWatch } from "../../../server/executor/deadline-watch.js";
import { ReadyQueue } from "../../../server/executor/ready-queue.js";
import { cancellationOf } from "../../../server/executor/cancellation.js";
import { ManualClock } from "../../support/manual-clock.js";
import { makePlan } from "./executor-fixtures.js";

describe("ReadyQueue", () => {
  it("ordered: always gives the smallest index", () => {
    const q = new ReadyQueue(100, true);
    const input = [42, 7, 99, 0, 13, 7 + 50, 3, 64, 1];
    for (const i of input) q.push(i);
    const out: number[] = [];
    while (q.size > 0) out.push(q.pop());
    expect(out).toEqual([...input].sort((a, b) => a - b));
  });

  it("unordered: first in, first out", () => {
    const q = new ReadyQueue(10, false);
    for (const i of [5, 2, 9]) q.push(i);
    expect([q.pop(), q.pop()]).toEqual([5, 2]);
    q.push(1);
    expect([q.pop(), q.pop(), q.size]).toEqual([9, 1, 0]);
  });
});

describe("DeadlineWatch", () => {
  it("expires unsettled attempts at their deadlines with one timer, forgets settled ones", async () => {
    const clock = new ManualClock(0);
    const expired: string[] = [];
    const watch = new DeadlineWatch<{ id: string; deadline: number; settled: boolean }>(clock, (a) => expired.push(`${a.id}@${clock.now()}`));
    const a = { id: "a", deadline: 100, settled: false };
    const b = { id: "b", deadline: 150, settled: false };
    const c = { id: "c", deadline: 150, settled: false };
    watch.watch(a);
    watch.watch(b);
    watch.watch(c);
    expect(clock.pendingTimers).toBe(1);
    b.settled = true;
    await clock.advance(99);
    expect(expired).toEqual([]);
    await clock.advance(100);
    expect(expired).toEqual(["a@100", "c@150"]);
    expect(clock.pendingTimers).toBe(0);
    watch.watch({ id: "d", deadline: 300, settled: false });
    watch.stop();
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(1_000);
    expect(expired).toEqual(["a@100", "c@150"]);
  });
});

describe("cancellation", () => {
  it("reads cancellation reasons", () => {
    expect(cancellationOf({ reason: "stop", by: "alice" })).toEqual({ reason: "stop", by: "alice" });
    expect(cancellationOf({ reason: "stop", by: 3 })).toEqual({ reason: "stop" });
    expect(cancellationOf(new Error("boom"))).toEqual({ reason: "boom" });
    expect(cancellationOf(new DOMException("This operation was aborted", "AbortError"))).toEqual({ reason: "cancelled" });
    expect(cancellationOf("bye")).toEqual({ reason: "bye" });
    expect(cancellationOf(42)).toEqual({ reason: "cancelled" });
  });
});

describe("tool context", () => {
  it("gives a server-side tool the portable context an agent's tool gets, plus the live plan and step", async () => {
    const seen: PortableToolContext[] = [];
    // Written against the shared type only, as for an agent's SDK.
    const portable: PortableToolHandler = (_params, ctx) => {
      seen.push(ctx);
      return { planId: ctx.planId, stepId: ctx.stepId, tool: ctx.tool, key: ctx.idempotencyKey, deps: ctx.dependencies };
    };
    const plan = makePlan([{ id: "a", tool: "portable" }, { id: "b", tool: "portable", after: ["a"] }], { requireApproval: false });
    const done = await new Executor({ portable }).execute(plan);
    expect(done.status).toBe("completed");
    expect(plan.getStep("b")?.result).toEqual({ planId: "p1", stepId: "b", tool: "portable", key: "p1:b:1", deps: { a: { planId: "p1", stepId: "a", tool: "portable", key: "p1:a:1", deps: {} } } });
    expect(seen[1]).toMatchObject({ attempt: 1, plan, step: plan.getStep("b") });
  });
});
