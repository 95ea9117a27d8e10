/**
 * The geometry of the execution timeline: one bar per step on a shared time axis starting when
 * the run started, like a Gantt chart. Pure: positions are percentages of the axis.
 */
import type { PlanData, StepStatus } from "../../shared/index.js";
import { formatDuration } from "../../shared/index.js";

/** What a bar shows: a step's status, with `queued` for a step waiting in a running plan. */
export type BarState = Exclude<StepStatus, "pending"> | "queued" | "pending";

/** One step's bar. */
export interface TimelineBar {
  id: string;
  tool: string;
  state: BarState;
  /** Offset of the bar's start from the axis origin, in ms; undefined when the step never started. */
  startMs?: number;
  /** Length of the bar in ms (up to now for a running step). */
  durationMs?: number;
  /** Left edge and width, in percent of the axis. */
  left: number;
  width: number;
  /** The label next to the bar: a duration, or what the step is waiting for. */
  label: string;
}

/** A tick of the time axis. */
interface TimelineTick {
  at: number;
  left: number;
  label: string;
}

/** The whole timeline. */
export interface TimelineLayout {
  /** Length of the axis in ms. */
  spanMs: number;
  bars: TimelineBar[];
  ticks: TimelineTick[];
}

/** Narrowest bar drawn, in percent, so that short steps stay visible. */
export const MIN_BAR_WIDTH = 0.8;

/** A readable tick step (1, 2 or 5 × a power of ten ms) that gives at most `count` intervals. */
export function tickStep(spanMs: number, count = 5): number {
  const raw = Math.max(1, spanMs / count);
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

/**
 * Lays out the timeline of the plan's current run at `now`. The axis starts when the run started
 * (or at the first step start) and ends now while the plan runs, at the last step end after.
 */
export function layoutTimeline(plan: Pick<PlanData, "status" | "steps" | "startedAt" | "finishedAt">, now: number): TimelineLayout {
  const starts = plan.steps.map((s) => s.startedAt).filter((t): t is number => t !== undefined);
  const origin = plan.startedAt ?? (starts.length > 0 ? Math.min(...starts) : undefined);
  const running = plan.status === "executing";
  const endOf = (s: PlanData["steps"][number]): number | undefined =>
    s.status === "running" ? now : s.completedAt ?? (s.startedAt !== undefined && s.durationMs !== undefined ? s.startedAt + s.durationMs : undefined);
  const ends = plan.steps.map(endOf).filter((t): t is number => t !== undefined);
  const end = running ? now : plan.finishedAt ?? (ends.length > 0 ? Math.max(...ends) : origin);
  const spanMs = origin === undefined || end === undefined ? 0 : Math.max(1, end - origin);

  const bars = plan.steps.map((step): TimelineBar => {
    const state: BarState = step.status === "pending" ? (running ? "queued" : "pending") : step.status;
    if (origin === undefined || step.startedAt === undefined) {
      const label = state === "queued" ? "queued" : state === "skipped" || state === "cancelled" ? step.status : "not started";
      return { id: step.id, tool: step.tool, state, left: 0, width: 0, label };
    }
    const startMs = Math.max(0, step.startedAt - origin);
    const stop = endOf(step) ?? step.startedAt;
    const durationMs = Math.max(0, stop - step.startedAt);
    const left = Math.min(100, (startMs / spanMs) * 100);
    const width = Math.min(100 - left, Math.max(MIN_BAR_WIDTH, (durationMs / spanMs) * 100));
    const shown = step.status === "running" ? durationMs : step.durationMs ?? durationMs;
    const label = step.status === "running" ? `running ${formatDuration(shown)}` : formatDuration(shown);
    return { id: step.id, tool: step.tool, state, startMs, durationMs, left, width, label };
  });

  const ticks: TimelineTick[] = [];
  if (spanMs > 0) {
    const step = tickStep(spanMs);
    for (let at = 0; at <= spanMs; at += step) ticks.push({ at, left: (at / spanMs) * 100, label: at === 0 ? "0" : formatDuration(at) });
  }
  return { spanMs, bars, ticks };
}
