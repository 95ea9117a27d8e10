/** Words and colours of plan and step statuses, the same everywhere in the dashboard. Pure. */
import { capitalised, PLAN_STATUS_WORDS, STEP_STATUS_WORDS, type PlanStatus, type StepStatus } from "../../shared/index.js";
import type { BarState } from "./timeline-layout.js";

const labels = <K extends string>(words: Readonly<Record<K, string>>): Record<K, string> =>
  Object.fromEntries(Object.entries<string>(words).map(([status, word]) => [status, capitalised(word)])) as Record<K, string>;

/** How a plan status reads: the shared word (`PLAN_STATUS_WORDS`), capitalised. */
export const PLAN_STATUS_LABEL: Readonly<Record<PlanStatus, string>> = labels(PLAN_STATUS_WORDS);

/** How a step (or timeline bar) status reads: the shared word (`STEP_STATUS_WORDS`), capitalised; a bar may also be queued. */
export const STEP_STATUS_LABEL: Readonly<Record<StepStatus | BarState, string>> = { ...labels(STEP_STATUS_WORDS), queued: "Queued" };

/** The CSS class that colours a status (see `styles.css`: `.status-completed` …). */
export function statusClass(status: PlanStatus | StepStatus | BarState): string {
  return `status-${status.replace("_", "-")}`;
}
