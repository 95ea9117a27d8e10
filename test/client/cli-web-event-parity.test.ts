import pc from "picocolors";
import { describe, expect, it } from "vitest";
import { eventLine } from "../../client/cli/terminal-format.js";
import { describeEvent } from "../../client/web/event-text.js";
import { EVENT_TONE, formatDuration, type PlanEvent, type PlanEventType } from "../../shared/index.js";
import { PlanLog } from "../support/plan-log.js";

/** The colour codes picocolors adds. */
const COLOURS = /\x1b\[\d+m/g;
/** The marks the CLI puts before a step event's sentence. */
const MARK = /^[▶…↻✓✗/-] /;

const error = { code: "TOOL_ERROR", message: "disk full" };
const bodies = [
  { type: "plan.revised", data: { plan: { version: 2 }, changes: { description: true, options: ["stopOnError"], stepsAdded: ["c"], stepsRemoved: ["d"], stepsChanged: ["a"] }, dismissedVotes: 1 } },
  { type: "vote.cast", data: { vote: { voterId: "r1", voterName: "Reviewer 1", decision: "approve", comment: "fine", version: 1, at: 1 } } },
  { type: "plan.approved", data: { by: [] } },
  { type: "plan.rejected", data: { by: ["r1", "r2"], reason: "too broad" } },
  { type: "plan.expired", data: {} },
  { type: "plan.reopened", data: { status: "pending_approval", resetSteps: ["a", "b"] } },
  { type: "plan.started", data: { run: 2 } },
  { type: "step.started", data: { stepId: "search", attempt: 2 } },
  { type: "step.waiting", data: { stepId: "search", attempt: 2, reason: "agent", tool: "search_files" } },
  { type: "step.resumed", data: { stepId: "search", attempt: 2, waitedMs: 12_000 } },
  { type: "step.retrying", data: { stepId: "search", attempt: 1, delayMs: 2_460, error } },
  { type: "step.completed", data: { stepId: "search", attempt: 1, result: null, durationMs: 185_000 } },
  { type: "step.failed", data: { stepId: "search", attempt: 1, error, durationMs: 420 } },
  { type: "step.skipped", data: { stepId: "search", reason: "dependency failed" } },
  { type: "step.cancelled", data: { stepId: "search", reason: "plan cancelled" } },
  { type: "plan.completed", data: { durationMs: 7_620_000 } },
  { type: "plan.failed", data: { error, durationMs: 38_900 } },
  { type: "plan.cancelled", actor: "alice", data: { reason: "not today" } },
];

describe("the CLI and the dashboard describe events alike", () => {
  const log = new PlanLog("p1");
  const events: PlanEvent[] = [log.events[0]!, ...bodies.map((b, i) => ({ planId: "p1", seq: i + 2, at: 1, ...b }) as unknown as PlanEvent)];

  it("covers every event type", () => {
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(Object.keys(EVENT_TONE) as PlanEventType[]));
  });

  it("prints the same sentence for the same event, coloured or not (the CLI only adds colours and a step mark)", () => {
    for (const event of events) {
      const web = describeEvent(event).text;
      for (const colours of [pc.createColors(false), pc.createColors(true)]) {
        expect(eventLine(event, colours).replace(COLOURS, "").replace(MARK, ""), event.type).toBe(web);
      }
    }
  });

  it("writes the same durations, as formatDuration does", () => {
    const durations: [PlanEventType, number][] = [["step.retrying", 2_460], ["step.completed", 185_000], ["step.failed", 420], ["plan.completed", 7_620_000], ["plan.failed", 38_900]];
    for (const [type, ms] of durations) {
      const event = events.find((e) => e.type === type)!;
      const text = formatDuration(ms);
      expect(describeEvent(event).text, type).toContain(text);
      expect(eventLine(event, pc.createColors(false)), type).toContain(text);
    }
    expect(describeEvent(events.find((e) => e.type === "plan.completed")!).text).toBe("Plan completed in 2 h 07 min");
  });
});
