import { describe, expect, it } from "vitest";
import type { PlanData, Step } from "../../shared/index.js";
import { layoutTimeline, MIN_BAR_WIDTH, tickStep } from "../../client/web/timeline-layout.js";

function step(id: string, fields: Partial<Step>): Step {
  return { id, tool: "t", description: "", params: {}, dependsOn: [], status: "pending", attempts: 0, ...fields };
}

type TimelinePlan = Pick<PlanData, "status" | "steps" | "startedAt" | "finishedAt">;

describe("layoutTimeline", () => {
  it("places bars on an axis from the run start to now while the plan runs", () => {
    const plan: TimelinePlan = {
      status: "executing",
      startedAt: 1_000,
      steps: [
        step("a", { status: "completed", startedAt: 1_000, completedAt: 1_400, durationMs: 400 }),
        step("b", { status: "running", startedAt: 1_400, attempts: 1 }),
        step("c", { status: "pending" }),
      ],
    };
    const t = layoutTimeline(plan, 2_000);
    expect(t.spanMs).toBe(1_000);
    const [a, b, c] = t.bars;
    expect(a).toMatchObject({ state: "completed", startMs: 0, left: 0, width: 40, label: "400 ms" });
    expect(b).toMatchObject({ state: "running", startMs: 400, left: 40, width: 60, label: "running 600 ms" });
    expect(c).toMatchObject({ state: "queued", width: 0, label: "queued" });
  });

  it("ends the axis when the run finished and keeps tiny steps visible", () => {
    const plan: TimelinePlan = {
      status: "failed",
      startedAt: 0,
      finishedAt: 10_000,
      steps: [
        step("quick", { status: "completed", startedAt: 0, completedAt: 1, durationMs: 1 }),
        step("slow", { status: "failed", startedAt: 1, completedAt: 10_000, durationMs: 9_999, error: { code: "TOOL_ERROR", message: "boom" } }),
        step("never", { status: "skipped", reason: "dependency failed" }),
      ],
    };
    const t = layoutTimeline(plan, 99_999);
    expect(t.spanMs).toBe(10_000);
    expect(t.bars[0]!.width).toBe(MIN_BAR_WIDTH);
    expect(t.bars[1]).toMatchObject({ state: "failed", label: "9.9 s" });
    expect(t.bars[1]!.left + t.bars[1]!.width).toBeLessThanOrEqual(100);
    expect(t.bars[2]).toMatchObject({ state: "skipped", width: 0, label: "skipped" });
    expect(t.ticks.map((k) => k.label)).toEqual(["0", "2.0 s", "4.0 s", "6.0 s", "8.0 s", "10 s"]);
  });

  it("has no axis before the run starts", () => {
    const t = layoutTimeline({ status: "pending_approval", steps: [step("a", {})] }, 5_000);
    expect(t.spanMs).toBe(0);
    expect(t.ticks).toEqual([]);
    expect(t.bars[0]).toMatchObject({ state: "pending", label: "not started" });
  });
});

describe("tickStep", () => {
  it("picks 1, 2 or 5 times a power of ten", () => {
    expect(tickStep(1_000)).toBe(200);
    expect(tickStep(9_000)).toBe(2_000);
    expect(tickStep(240_000)).toBe(50_000);
    expect(tickStep(0)).toBe(1);
  });
});
