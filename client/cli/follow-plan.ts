import { terminalSafeJson, type PlanEvent } from "../../shared/index.js";
import type { RoomHandle } from "../room-handle.js";
import type { CliContext } from "./cli-context.js";
import { exitCodeForStatus } from "./exit-codes.js";
import { waitingLines } from "./step-outcomes.js";
import { eventLine, progressLine } from "./terminal-format.js";

const PROGRESS_EVENTS = new Set(["plan.started", "step.completed", "step.failed", "step.skipped", "step.cancelled", "plan.completed", "plan.failed", "plan.cancelled"]);

function clockTime(at: number): string {
  return new Date(at).toTimeString().slice(0, 8);
}

/** The progress line of a joined plan. */
export function roomProgress(room: RoomHandle, ctx: CliContext): string {
  const s = room.summary();
  return progressLine({ id: room.planId, description: s.description, status: s.status, finished: s.finished, total: s.total, progress: s.progress }, ctx.c, ctx.io.isTTY);
}

/** A timestamped line for one event of a followed plan. */
function timedEventLine(event: PlanEvent, ctx: CliContext): string {
  return `${ctx.c.dim(clockTime(event.at))} ${eventLine(event, ctx.c)}`;
}

/**
 * Follows a joined plan until its run ends: the steps waiting for their agent now, a line per event (with step durations) and the
 * progress bar after each step that finishes; `--json` prints each event as one JSON line instead
 * (terminal-safe JSON: see `terminalSafeJson`).
 * Resolves with the exit code of the final status.
 */
export async function followPlan(ctx: CliContext, room: RoomHandle, options: { events: "lines" | "json" | "none" }): Promise<number> {
  if (options.events === "lines") {
    ctx.io.out(roomProgress(room, ctx));
    // A step that waited for its agent before we joined: its `step.waiting` is not replayed.
    for (const line of waitingLines(room.plan, ctx.c)) ctx.io.out(line);
  }
  const off = room.on("*", (event) => {
    if (options.events === "json") ctx.io.out(terminalSafeJson(event));
    if (options.events !== "lines") return;
    ctx.io.out(timedEventLine(event, ctx));
    if (PROGRESS_EVENTS.has(event.type)) ctx.io.out(roomProgress(room, ctx));
  });
  try {
    const final = await room.done();
    return exitCodeForStatus(final.status);
  } finally {
    off();
  }
}
