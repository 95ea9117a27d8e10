/** The lines `planroom show` prints about a plan's run: each step's result or error, and the tools its agent serves. */
import { compactJson, terminalSafeLine as safe, type PlanData, type Step } from "../../shared/index.js";
import type { Colors } from "./cli-context.js";

/**
 * One line per step that has a result or an error: `✓ a: {"ok":true}` (compact JSON, long values
 * cut) or `✗ b: TOOL_ERROR: disk full`; a skipped or cancelled step with its reason; a running
 * step that waits for its agent (`… c: waiting for agent (tool deploy)`). Empty before the run.
 * Terminal-safe.
 */
export function stepOutcomeLines(plan: PlanData, c: Colors): string[] {
  const lines: string[] = [];
  for (const step of plan.steps) {
    const id = c.bold(safe(step.id));
    if (step.status === "completed") lines.push(`  ${c.green("✓")} ${id}: ${step.result === undefined ? "(no result)" : compactJson(step.result, 80, 300)}`);
    else if (step.error) lines.push(`  ${c.red("✗")} ${id}: ${safe(step.error.code)}: ${safe(step.error.message)}`);
    else if (step.status === "running" && step.waiting) lines.push(`  ${c.yellow("…")} ${id}: ${waitingText(step.waiting)}`);
    else if ((step.status === "skipped" || step.status === "cancelled") && step.reason) lines.push(`  ${c.yellow("-")} ${id}: ${step.status}: ${safe(step.reason)}`);
  }
  return lines;
}

/** What a waiting step waits for: `waiting for agent (tool deploy)`. Terminal-safe. */
function waitingText(waiting: NonNullable<Step["waiting"]>): string {
  return `waiting for agent (tool ${safe(waiting.tool)})`;
}

/** A line per running step that waits for its agent now (`… c: waiting for agent (tool deploy)`). Terminal-safe. */
export function waitingLines(plan: PlanData, c: Colors): string[] {
  return plan.steps.flatMap((step) => (step.status === "running" && step.waiting ? [`  ${c.yellow("…")} ${c.bold(safe(step.id))}: ${waitingText(step.waiting)}`] : []));
}

/** The warning of a run started while no connected socket serves some of the agent's tools (none when all are served). Terminal-safe. */
export function unservedToolsLine(tools: readonly string[] | undefined): string | undefined {
  if (!tools || tools.length === 0) return undefined;
  return `warning: no connected agent serves ${tools.map(safe).join(", ")}; the steps that call ${tools.length === 1 ? "it" : "them"} wait for the agent, then fail with AGENT_DISCONNECTED if it does not connect in time`;
}

/** The tools the plan's agent serves itself, or that it serves none (every tool is the server's). */
export function agentToolsLine(tools: readonly string[]): string {
  return tools.length > 0 ? `Agent tools: ${tools.map(safe).join(", ")}` : "Agent tools: none (every step runs a server tool)";
}
