import type { PlanData } from "./plan.js";
import type { StepStatus } from "./step.js";

/** A plan's progress at a glance. */
export interface PlanSummary {
  id: string;
  description: string;
  status: PlanData["status"];
  total: number;
  counts: Record<StepStatus, number>;
  /** Steps that reached an end state (completed, failed, skipped, cancelled). */
  finished: number;
  /** `finished / total` in percent; 0 for an empty plan that has not finished, 100 once it has. */
  progress: number;
  /** Time since the run started (to its end once finished), in ms; 0 before it starts. */
  elapsedMs: number;
  /** Sum of the steps' durations, in ms. */
  totalDurationMs: number;
  /** The steps running now. */
  running: { id: string; tool: string; description: string; startedAt?: number; attempt: number }[];
}

/**
 * `finished / total` in percent; for a plan without steps, 0 until its run is over (completed,
 * failed or cancelled) and 100 from then on.
 */
export function progressPercent(finished: number, total: number, status: PlanData["status"]): number {
  const over = status === "completed" || status === "failed" || status === "cancelled";
  return total === 0 ? (over ? 100 : 0) : (finished / total) * 100;
}

/** Summarises a plan's progress; `now` is used for the elapsed time of a running plan. */
export function summary(plan: PlanData, now: number = Date.now()): PlanSummary {
  const counts: Record<StepStatus, number> = { pending: 0, running: 0, completed: 0, failed: 0, skipped: 0, cancelled: 0 };
  let totalDurationMs = 0;
  const running: PlanSummary["running"] = [];
  for (const step of plan.steps) {
    counts[step.status]++;
    totalDurationMs += step.durationMs ?? 0;
    if (step.status === "running") {
      running.push({ id: step.id, tool: step.tool, description: step.description, attempt: step.attempts, ...(step.startedAt !== undefined ? { startedAt: step.startedAt } : {}) });
    }
  }
  const total = plan.steps.length;
  const finished = counts.completed + counts.failed + counts.skipped + counts.cancelled;
  const progress = progressPercent(finished, total, plan.status);
  const elapsedMs = plan.startedAt === undefined ? 0 : Math.max(0, (plan.finishedAt ?? now) - plan.startedAt);
  return { id: plan.id, description: plan.description, status: plan.status, total, counts, finished, progress, elapsedMs, totalDurationMs, running };
}
