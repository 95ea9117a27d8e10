/** The lines `planroom revise` prints for what a revision will change (see the shared `diffPlans`). */
import { canonicalJson, terminalSafeLine as safe, type PlanData, type PlanDiff } from "../../shared/index.js";
import type { Colors } from "./cli-context.js";

const value = (v: unknown): string => safe(canonicalJson(v ?? null));

/** The diff as lines: `description: "a" → "b"`, `option stopOnError: true → false`, `+ step c (echo)`, `- step b`, `~ step a: params, description`. Terminal-safe. */
export function planDiffLines(diff: PlanDiff, after: PlanData, c: Colors): string[] {
  const lines: string[] = [];
  if (diff.description) lines.push(`  description: ${value(diff.description.from)} → ${value(diff.description.to)}`);
  for (const o of diff.options) lines.push(`  option ${o.key}: ${value(o.from)} → ${value(o.to)}`);
  const toolOf = new Map(after.steps.map((s) => [s.id, s.tool]));
  for (const id of diff.stepsAdded) lines.push(`  ${c.green("+")} step ${safe(id)} (${safe(toolOf.get(id) ?? "?")})`);
  for (const id of diff.stepsRemoved) lines.push(`  ${c.red("-")} step ${safe(id)}`);
  for (const s of diff.stepsChanged) lines.push(`  ${c.yellow("~")} step ${safe(s.id)}: ${s.parts.join(", ")}`);
  return lines;
}
