/** The lines `planroom show` prints about a plan's run: each step's result or error, and the tools its agent serves. */
import { compactJson, terminalSafeLine as safe, type PlanData } from "../../shared/index.js";
import type { Colors } from "./cli-context.js";

/**
 * One line per step that has a result or an error: `✓ a: {"ok":true}` (compact JSON, long values
 * cut) or `✗ b: TOOL_ERROR: disk full`; a skipped or cancelled step with its reason. Empty before
 * the run. Terminal-safe.
 */
export function stepOutcomeLines(plan: PlanData, c: Colors): string[] {
  const lines: string[] = [];
  for (const step of plan.steps) {
    const id = c.bold(safe(step.id));
    if (step.status === "completed") lines.push(`  ${c.green("✓")} ${id}: ${step.result === undefined ? "(no result)" : compactJson(step.result, 80, 300)}`);
    else if (step.error) lines.push(`  ${c.red("✗")} ${id}: ${safe(step.error.code)}: ${safe(step.error.message)}`);
    else if ((step.status === "skipped" || step.status === "cancelled") && step.reason) lines.push(`  ${c.yellow("-")} ${id}: ${step.status}: ${safe(step.reason)}`);
  }
  return lines;
}

/** The tools the plan's agent serves itself, or that it serves none (every tool is the server's). */
export function agentToolsLine(tools: readonly string[]): string {
  return tools.length > 0 ? `Agent tools: ${tools.map(safe).join(", ")}` : "Agent tools: none (every step runs a server tool)";
}
