/** Words and colours of plan and step statuses, the same everywhere in the dashboard. Pure. */
import { capitalised, PLAN_STATUS_WORDS, STEP_STATUS_WORDS, type PlanStatus, type Step, type StepStatus } from "../../shared/index.js";
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

/** What a running step waits for, in words (`Waiting for agent`), or `undefined` when it does not wait. */
export function stepWaitingLabel(step: Pick<Step, "status" | "waiting">): string | undefined {
  return step.status === "running" && step.waiting?.reason === "agent" ? "Waiting for agent" : undefined;
}

/**
 * The short state of a step for the DAG's second line and the step card's badge: its status word,
 * or what a running step waits for (`Waiting for agent`), with the attempt beyond the first.
 */
export function stepStateText(step: Pick<Step, "status" | "waiting" | "attempts">): string {
  const state = stepWaitingLabel(step) ?? STEP_STATUS_LABEL[step.status];
  return step.status === "running" && step.attempts > 1 ? `${state} · attempt ${step.attempts}` : state;
}

/** The unserved-tools warning shown when a run starts while no socket serves some of the agent's tools (none when all are served). */
export function unservedToolsWarning(tools: readonly string[] | undefined): string | undefined {
  if (!tools || tools.length === 0) return undefined;
  return `No connected agent serves ${tools.join(", ")}: the steps that call ${tools.length === 1 ? "it" : "them"} will wait for the agent, then fail if it does not connect in time.`;
}
