import { findStep, formatDuration, terminalSafeLine as safe, type PlanEvent, type PlanListItem, type PlanState, type PlanStatus, type Vote } from "../../shared/index.js";
import type { Colors } from "./cli-context.js";

// Every text these lines take from a plan, its events or its principals goes through `safe`
// (`terminalSafeLine`) before any colour is added: each is one line, controls shown as `\uXXXX`.

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

/** A plan's progress line: bar, steps finished, status, id and description (id and description terminal-safe). */
export function progressLine(item: Pick<PlanListItem, "id" | "description" | "status" | "finished" | "total" | "progress">, c: Colors, tty: boolean): string {
  return `${progressBar(item.progress, c, tty)} ${item.finished}/${item.total} ${statusText(item.status, c)} ${c.bold(safe(item.id))} ${safe(item.description)}`;
}

function stepLabel(state: PlanState | undefined, stepId: string): string {
  const step = state ? findStep(state.plan, stepId) : undefined;
  return step ? `${safe(stepId)} (${safe(step.tool)})` : safe(stepId);
}

/** One line describing an event, with step durations; every text taken from the event or the plan is terminal-safe. */
export function eventLine(event: PlanEvent, state: PlanState | undefined, c: Colors): string {
  switch (event.type) {
    case "plan.submitted":
      return `submitted by ${safe(event.data.submittedBy.name)}: ${safe(event.data.plan.description)} (${event.data.plan.steps.length} steps)`;
    case "plan.revised":
      return `revised to version ${event.data.plan.version} (${event.data.dismissedVotes} votes dismissed)`;
    case "vote.cast": {
      const v = event.data.vote;
      const decision = v.decision === "approve" ? c.green("approve") : c.red("reject");
      return `${safe(v.voterName)} voted ${decision} on version ${v.version}${v.comment ? `: ${safe(v.comment)}` : ""}`;
    }
    case "plan.approved":
      return c.green(`approved by ${event.data.by.map(safe).join(", ") || "policy"}`);
    case "plan.rejected":
      return c.red(`rejected by ${event.data.by.map(safe).join(", ")}${event.data.reason ? `: ${safe(event.data.reason)}` : ""}`);
    case "plan.expired":
      return c.red("the approval request expired");
    case "plan.reopened":
      return `reopened (${event.data.resetSteps.length} steps reset, now ${event.data.status.replace("_", " ")})`;
    case "plan.started":
      return c.cyan(`started (run ${event.data.run})`);
    case "step.started":
      return `${c.cyan("▶")} ${stepLabel(state, event.data.stepId)} started${event.data.attempt > 1 ? ` (attempt ${event.data.attempt})` : ""}`;
    case "step.retrying":
      return `${c.yellow("↻")} ${stepLabel(state, event.data.stepId)} retrying in ${formatDuration(event.data.delayMs)} after attempt ${event.data.attempt}: ${safe(event.data.error.message)}`;
    case "step.completed":
      return `${c.green("✓")} ${stepLabel(state, event.data.stepId)} completed in ${formatDuration(event.data.durationMs)}`;
    case "step.failed": {
      const took = event.data.durationMs !== undefined ? ` after ${formatDuration(event.data.durationMs)}` : "";
      return `${c.red("✗")} ${stepLabel(state, event.data.stepId)} failed${took}: [${safe(event.data.error.code)}] ${safe(event.data.error.message)}`;
    }
    case "step.skipped":
      return `${c.dim("-")} ${stepLabel(state, event.data.stepId)} skipped: ${safe(event.data.reason)}`;
    case "step.cancelled":
      return `${c.yellow("/")} ${stepLabel(state, event.data.stepId)} cancelled: ${safe(event.data.reason)}`;
    case "plan.completed":
      return c.green(`completed in ${formatDuration(event.data.durationMs)}`);
    case "plan.failed":
      return c.red(`failed after ${formatDuration(event.data.durationMs)}: [${safe(event.data.error.code)}] ${safe(event.data.error.message)}`);
    case "plan.cancelled":
      return c.yellow(`cancelled: ${safe(event.data.reason)}`);
  }
}

/** A table of plans for `planroom list` (every cell terminal-safe). */
export function planTable(items: readonly PlanListItem[], c: Colors): string {
  if (items.length === 0) return "no plans";
  const rows = items.map((p) => [safe(p.id), p.status.replace("_", " "), `${p.progress.toFixed(0)}%`, `${p.approvals}/${p.quorum}`, safe(p.submittedBy.name), safe(p.description)]);
  const header = ["ID", "STATUS", "PROGRESS", "VOTES", "BY", "DESCRIPTION"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[], colour?: (i: number, text: string) => string): string =>
    cells.map((cell, i) => {
      const padded = i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0);
      return colour ? colour(i, padded) : padded;
    }).join("  ");
  return [c.bold(line(header)), ...rows.map((r, k) => line(r, (i, text) => (i === 1 ? statusText(items[k]!.status, c).replace(items[k]!.status.replace("_", " "), text) : text)))].join("\n");
}

/** One line per vote (names and comments terminal-safe). */
export function voteLines(votes: readonly Vote[], c: Colors): string[] {
  return votes.map((v) => `  ${v.decision === "approve" ? c.green("✓ approve") : c.red("✗ reject ")} ${safe(v.voterName)} (${safe(v.voterId)}) on version ${v.version}${v.comment ? `: ${safe(v.comment)}` : ""}`);
}
