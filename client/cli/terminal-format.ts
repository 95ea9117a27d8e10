import { EVENT_TONE, eventSentence, PLAN_STATUS_WORDS, terminalSafeLine as safe, type EventTone, type PlanEvent, type PlanEventType, type PlanListItem, type PlanStatus, type Vote } from "../../shared/index.js";
import type { Colors } from "./cli-context.js";

// Every text these lines take from a plan, its events or its principals goes through `safe`
// (`terminalSafeLine`) before any colour is added: each is one line, controls shown as `\uXXXX`.

/** A plan status's word (`PLAN_STATUS_WORDS`), coloured by how it is going. */
export function statusText(status: PlanStatus, c: Colors): string {
  const text = PLAN_STATUS_WORDS[status];
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

/** The mark before a step event's sentence. */
const STEP_MARKS: Partial<Record<PlanEventType, string>> = {
  "step.started": "▶",
  "step.waiting": "…",
  "step.resumed": "▶",
  "step.retrying": "↻",
  "step.completed": "✓",
  "step.failed": "✗",
  "step.skipped": "-",
  "step.cancelled": "/",
};

function toned(text: string, tone: EventTone, c: Colors): string {
  switch (tone) {
    case "good":
      return c.green(text);
    case "bad":
      return c.red(text);
    case "info":
      return c.cyan(text);
    case "muted":
      return c.yellow(text);
    case "neutral":
      return text;
  }
}

/**
 * One line describing an event: the dashboard's sentence (`eventSentence`, durations included),
 * terminal-safe, coloured by its tone; a step event's sentence has a coloured mark before it
 * instead (`✓ Step a completed in 5 ms`).
 */
export function eventLine(event: PlanEvent, c: Colors): string {
  const text = safe(eventSentence(event));
  const tone = EVENT_TONE[event.type];
  const mark = STEP_MARKS[event.type];
  return mark === undefined ? toned(text, tone, c) : `${toned(mark, tone, c)} ${text}`;
}

/** A table of plans for `planroom list` (every cell terminal-safe). */
export function planTable(items: readonly PlanListItem[], c: Colors): string {
  if (items.length === 0) return "no plans";
  const rows = items.map((p) => [safe(p.id), PLAN_STATUS_WORDS[p.status], `${p.progress.toFixed(0)}%`, `${p.approvals}/${p.quorum}`, safe(p.submittedBy.name), safe(p.description)]);
  const header = ["ID", "STATUS", "PROGRESS", "VOTES", "BY", "DESCRIPTION"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[], colour?: (i: number, text: string) => string): string =>
    cells.map((cell, i) => {
      const padded = i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0);
      return colour ? colour(i, padded) : padded;
    }).join("  ");
  return [c.bold(line(header)), ...rows.map((r, k) => line(r, (i, text) => (i === 1 ? statusText(items[k]!.status, c).replace(PLAN_STATUS_WORDS[items[k]!.status], text) : text)))].join("\n");
}

/** One line per vote (names and comments terminal-safe). */
export function voteLines(votes: readonly Vote[], c: Colors): string[] {
  return votes.map((v) => `  ${v.decision === "approve" ? c.green("✓ approve") : c.red("✗ reject ")} ${safe(v.voterName)} (${safe(v.voterId)}) on version ${v.version}${v.comment ? `: ${safe(v.comment)}` : ""}`);
}
