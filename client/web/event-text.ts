/** One readable line per plan event, for the live event log. Pure. */
import type { PlanEvent, PlanEventType } from "../../shared/index.js";
import { formatDuration } from "./format-time.js";

/** How an event is shown: its sentence and a tone for its colour. */
export interface EventText {
  text: string;
  tone: "neutral" | "info" | "good" | "bad" | "muted";
}

const TONE: Readonly<Record<PlanEventType, EventText["tone"]>> = {
  "plan.submitted": "neutral",
  "plan.revised": "info",
  "vote.cast": "neutral",
  "plan.approved": "good",
  "plan.rejected": "bad",
  "plan.expired": "muted",
  "plan.reopened": "info",
  "plan.started": "info",
  "step.started": "info",
  "step.retrying": "bad",
  "step.completed": "good",
  "step.failed": "bad",
  "step.skipped": "muted",
  "step.cancelled": "muted",
  "plan.completed": "good",
  "plan.failed": "bad",
  "plan.cancelled": "muted",
};

const list = (items: readonly string[]): string => (items.length === 0 ? "none" : items.join(", "));

function sentence(event: PlanEvent): string {
  const who = event.actor ?? "the server";
  switch (event.type) {
    case "plan.submitted":
      return `${event.data.submittedBy.name} submitted the plan (${event.data.plan.steps.length} steps)`;
    case "plan.revised": {
      const c = event.data.changes;
      const parts = [
        c.description ? "description" : "",
        c.options.length > 0 ? `options (${c.options.join(", ")})` : "",
        c.stepsAdded.length > 0 ? `added ${list(c.stepsAdded)}` : "",
        c.stepsRemoved.length > 0 ? `removed ${list(c.stepsRemoved)}` : "",
        c.stepsChanged.length > 0 ? `changed ${list(c.stepsChanged)}` : "",
      ].filter(Boolean);
      const dismissed = event.data.dismissedVotes > 0 ? `; ${event.data.dismissedVotes} vote(s) dismissed` : "";
      return `Revised to version ${event.data.plan.version}: ${parts.join("; ") || "no visible change"}${dismissed}`;
    }
    case "vote.cast": {
      const v = event.data.vote;
      return `${v.voterName} ${v.decision === "approve" ? "approved" : "rejected"}${v.comment ? `: “${v.comment}”` : ""}`;
    }
    case "plan.approved":
      return `Plan approved by ${list(event.data.by)}`;
    case "plan.rejected":
      return `Plan rejected by ${list(event.data.by)}${event.data.reason ? `: ${event.data.reason}` : ""}`;
    case "plan.expired":
      return "The approval request expired";
    case "plan.reopened":
      return `Plan reopened (${event.data.resetSteps.length} steps reset)`;
    case "plan.started":
      return event.data.run > 1 ? `Run ${event.data.run} started` : "Execution started";
    case "step.started":
      return `Step ${event.data.stepId} started${event.data.attempt > 1 ? ` (attempt ${event.data.attempt})` : ""}`;
    case "step.retrying":
      return `Step ${event.data.stepId} will retry in ${formatDuration(event.data.delayMs)}: ${event.data.error.message}`;
    case "step.completed":
      return `Step ${event.data.stepId} completed in ${formatDuration(event.data.durationMs)}`;
    case "step.failed":
      return `Step ${event.data.stepId} failed: ${event.data.error.message}`;
    case "step.skipped":
      return `Step ${event.data.stepId} skipped: ${event.data.reason}`;
    case "step.cancelled":
      return `Step ${event.data.stepId} cancelled: ${event.data.reason}`;
    case "plan.completed":
      return `Plan completed in ${formatDuration(event.data.durationMs)}`;
    case "plan.failed":
      return `Plan failed: ${event.data.error.message}`;
    case "plan.cancelled":
      return `Plan cancelled by ${who}: ${event.data.reason}`;
  }
}

/** Describes an event in one sentence, with a tone. */
export function describeEvent(event: PlanEvent): EventText {
  return { text: sentence(event), tone: TONE[event.type] };
}
