/**
 * The sentence that describes a plan event, the same in the CLI's event lines and the dashboard's
 * event log, and the tone either colours it with. Pure; the text is not terminal-safe (the CLI
 * makes it so) and not HTML (the dashboard puts it in a text node).
 */
import { formatDuration } from "./duration.js";
import type { PlanEvent, PlanEventData, PlanEventType } from "./events.js";
import { PLAN_STATUS_WORDS } from "./status-words.js";

/** How an event reads: neutral, informative, good news, bad news, or of little weight. */
export type EventTone = "neutral" | "info" | "good" | "bad" | "muted";

/** The tone of each event type. */
export const EVENT_TONE: Readonly<Record<PlanEventType, EventTone>> = {
  "plan.submitted": "neutral",
  "plan.revised": "info",
  "vote.cast": "neutral",
  "plan.approved": "good",
  "plan.rejected": "bad",
  "plan.expired": "muted",
  "plan.reopened": "info",
  "plan.started": "info",
  "step.started": "info",
  "step.waiting": "muted",
  "step.resumed": "info",
  "step.retrying": "bad",
  "step.completed": "good",
  "step.failed": "bad",
  "step.skipped": "muted",
  "step.cancelled": "muted",
  "plan.completed": "good",
  "plan.failed": "bad",
  "plan.cancelled": "muted",
};

const list = (items: readonly string[]): string => items.join(", ");
const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? "" : "s"}`;

/**
 * What a revision changed, in words: `the description; options (stopOnError); added c; changed a`,
 * or `no visible change`.
 */
export function revisionChangesText(changes: PlanEventData<"plan.revised">["changes"]): string {
  const parts = [
    changes.description ? "the description" : "",
    changes.options.length > 0 ? `options (${list(changes.options)})` : "",
    changes.stepsAdded.length > 0 ? `added ${list(changes.stepsAdded)}` : "",
    changes.stepsRemoved.length > 0 ? `removed ${list(changes.stepsRemoved)}` : "",
    changes.stepsChanged.length > 0 ? `changed ${list(changes.stepsChanged)}` : "",
  ].filter(Boolean);
  return parts.join("; ") || "no visible change";
}

/** ` after 1.2 s` when a duration is known. */
const after = (ms: number | undefined): string => (ms === undefined ? "" : ` after ${formatDuration(ms)}`);

/** Describes an event in one sentence (one line unless the plan's own texts hold line breaks). */
export function eventSentence(event: PlanEvent): string {
  switch (event.type) {
    case "plan.submitted":
      return `${event.data.submittedBy.name} submitted the plan “${event.data.plan.description}” (${count(event.data.plan.steps.length, "step")})`;
    case "plan.revised": {
      const dismissed = event.data.dismissedVotes > 0 ? `; ${count(event.data.dismissedVotes, "vote")} dismissed` : "";
      return `Revised to version ${event.data.plan.version}: ${revisionChangesText(event.data.changes)}${dismissed}`;
    }
    case "vote.cast": {
      const v = event.data.vote;
      return `${v.voterName} ${v.decision === "approve" ? "approved" : "rejected"} version ${v.version}${v.comment ? `: “${v.comment}”` : ""}`;
    }
    case "plan.approved":
      return event.data.by.length > 0 ? `Plan approved by ${list(event.data.by)}` : "Plan approved automatically";
    case "plan.rejected":
      return `Plan rejected by ${list(event.data.by)}${event.data.reason ? `: ${event.data.reason}` : ""}`;
    case "plan.expired":
      return "The approval request expired";
    case "plan.reopened":
      return `Plan reopened (${count(event.data.resetSteps.length, "step")} reset), now ${PLAN_STATUS_WORDS[event.data.status]}`;
    case "plan.started":
      return event.data.run > 1 ? `Run ${event.data.run} started` : "Execution started";
    case "step.started":
      return `Step ${event.data.stepId} started${event.data.attempt > 1 ? ` (attempt ${event.data.attempt})` : ""}`;
    case "step.waiting":
      return `Step ${event.data.stepId} is waiting for its agent to connect and run ${event.data.tool}; its timeout is paused`;
    case "step.resumed":
      return `Step ${event.data.stepId} resumed after waiting ${formatDuration(event.data.waitedMs)} for its agent`;
    case "step.retrying":
      return `Step ${event.data.stepId} will retry in ${formatDuration(event.data.delayMs)} after attempt ${event.data.attempt}: ${event.data.error.message}`;
    case "step.completed":
      return `Step ${event.data.stepId} completed in ${formatDuration(event.data.durationMs)}`;
    case "step.failed":
      return `Step ${event.data.stepId} failed${after(event.data.durationMs)}: [${event.data.error.code}] ${event.data.error.message}`;
    case "step.skipped":
      return `Step ${event.data.stepId} skipped: ${event.data.reason}`;
    case "step.cancelled":
      return `Step ${event.data.stepId} cancelled: ${event.data.reason}`;
    case "plan.completed":
      return `Plan completed in ${formatDuration(event.data.durationMs)}`;
    case "plan.failed":
      return `Plan failed${after(event.data.durationMs)}: [${event.data.error.code}] ${event.data.error.message}`;
    case "plan.cancelled":
      return `Plan cancelled by ${event.actor ?? "the server"}: ${event.data.reason}`;
  }
}
