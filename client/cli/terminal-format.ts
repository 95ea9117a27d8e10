import { findStep, formatDuration, type PlanEvent, type PlanListItem, type PlanState, type PlanStatus, type Vote } from "../../shared/index.js";
import type { Colors } from "./cli-context.js";

/** Colours a plan status by how it is going. */
export function statusText(status: PlanStatus, c: Colors): string {
  const text = status.replace("_", " ");
  switch (status) {
    case "completed":
    case "approved":
      return c.green(text);
    case "failed":
    case "rejected":
    case "expired":
      return c.red(text);
    case "cancelled":
      return c.yellow(text);
    case "executing":
      return c.cyan(text);
    default:
      return c.dim(text);
  }
}

/** A progress bar: `[########------------]  40%` (block characters and colour on a terminal). */
export function progressBar(percent: number, c: Colors, tty: boolean, width = 20): string {
  const clamped = Math.max(0, Math.min(100, percent));
  const filled = Math.round((clamped / 100) * width);
  const bar = tty ? c.green("█".repeat(filled)) + c.dim("░".repeat(width - filled)) : `${"#".repeat(filled)}${"-".repeat(width - filled)}`;
  return `[${bar}] ${clamped.toFixed(0).padStart(3)}%`;
}

/** A plan's progress line: bar, steps finished, status, id and description. */
export function progressLine(item: Pick<PlanListItem, "id" | "description" | "status" | "finished" | "total" | "progress">, c: Colors, tty: boolean): string {
  return `${progressBar(item.progress, c, tty)} ${item.finished}/${item.total} ${statusText(item.status, c)} ${c.bold(item.id)} ${item.description}`;
}

function stepLabel(state: PlanState | undefined, stepId: string): string {
  const step = state ? findStep(state.plan, stepId) : undefined;
  return step ? `${stepId} (${step.tool})` : stepId;
}

/** One line describing an event, with step durations. */
export function eventLine(event: PlanEvent, state: PlanState | undefined, c: Colors): string {
  switch (event.type) {
    case "plan.submitted":
      return `submitted by ${event.data.submittedBy.name}: ${event.data.plan.description} (${event.data.plan.steps.length} steps)`;
    case "plan.revised":
      return `revised to version ${event.data.plan.version} (${event.data.dismissedVotes} votes dismissed)`;
    case "vote.cast": {
      const v = event.data.vote;
      const decision = v.decision === "approve" ? c.green("approve") : c.red("reject");
      return `${v.voterName} voted ${decision} on version ${v.version}${v.comment ? `: ${v.comment}` : ""}`;
    }
    case "plan.approved":
      return c.green(`approved by ${event.data.by.join(", ") || "policy"}`);
    case "plan.rejected":
      return c.red(`rejected by ${event.data.by.join(", ")}${event.data.reason ? `: ${event.data.reason}` : ""}`);
    case "plan.expired":
      return c.red("the approval request expired");
    case "plan.reopened":
      return `reopened (${event.data.resetSteps.length} steps reset, now ${event.data.status.replace("_", " ")})`;
    case "plan.started":
      return c.cyan(`started (run ${event.data.run})`);
    case "step.started":
      return `${c.cyan("▶")} ${stepLabel(state, event.data.stepId)} started${event.data.attempt > 1 ? ` (attempt ${event.data.attempt})` : ""}`;
    case "step.retrying":
      return `${c.yellow("↻")} ${stepLabel(state, event.data.stepId)} retrying in ${formatDuration(event.data.delayMs)} after attempt ${event.data.attempt}: ${event.data.error.message}`;
    case "step.completed":
      return `${c.green("✓")} ${stepLabel(state, event.data.stepId)} completed in ${formatDuration(event.data.durationMs)}`;
    case "step.failed": {
      const took = event.data.durationMs !== undefined ? ` after ${formatDuration(event.data.durationMs)}` : "";
      return `${c.red("✗")} ${stepLabel(state, event.data.stepId)} failed${took}: [${event.data.error.code}] ${event.data.error.message}`;
    }
    case "step.skipped":
      return `${c.dim("-")} ${stepLabel(state, event.data.stepId)} skipped: ${event.data.reason}`;
    case "step.cancelled":
      return `${c.yellow("/")} ${stepLabel(state, event.data.stepId)} cancelled: ${event.data.reason}`;
    case "plan.completed":
      return c.green(`completed in ${formatDuration(event.data.durationMs)}`);
    case "plan.failed":
      return c.red(`failed after ${formatDuration(event.data.durationMs)}: [${event.data.error.code}] ${event.data.error.message}`);
    case "plan.cancelled":
      return c.yellow(`cancelled: ${event.data.reason}`);
  }
}

/** A table of plans for `planroom list`. */
export function planTable(items: readonly PlanListItem[], c: Colors): string {
  if (items.length === 0) return "no plans";
  const rows = items.map((p) => [p.id, p.status.replace("_", " "), `${p.progress.toFixed(0)}%`, `${p.approvals}/${p.quorum}`, p.submittedBy.name, p.description]);
  const header = ["ID", "STATUS", "PROGRESS", "VOTES", "BY", "DESCRIPTION"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[], colour?: (i: number, text: string) => string): string =>
    cells.map((cell, i) => {
      const padded = i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0);
      return colour ? colour(i, padded) : padded;
    }).join("  ");
  return [c.bold(line(header)), ...rows.map((r, k) => line(r, (i, text) => (i === 1 ? statusText(items[k]!.status, c).replace(items[k]!.status.replace("_", " "), text) : text)))].join("\n");
}

/** One line per vote. */
export function voteLines(votes: readonly Vote[], c: Colors): string[] {
  return votes.map((v) => `  ${v.decision === "approve" ? c.green("✓ approve") : c.red("✗ reject ")} ${v.voterName} (${v.voterId}) on version ${v.version}${v.comment ? `: ${v.comment}` : ""}`);
}
