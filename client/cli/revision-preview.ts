/**
 * What `planroom revise` will change: the plan as it stands against the plan file, compared the
 * way the server compares versions (a step changed when its description or its work — the shared
 * `stepRevisionKey` — did). Pure.
 */
import { canonicalJson, ExecutionOptionsSchema, stepRevisionKey, terminalSafeLine as safe, type PlanData, type Step } from "../../shared/index.js";
import type { Colors } from "./cli-context.js";

/** One step's changed parts, by name. */
type StepPart = "tool" | "params" | "dependsOn" | "retry" | "description";

/** The difference between a plan and its next version. */
export interface RevisionPreview {
  /** The description's change, when it changed. */
  description: { from: string; to: string } | undefined;
  /** Options whose values differ (after defaults), with both values. */
  options: { key: string; from: unknown; to: unknown }[];
  /** Ids of steps only in the new version, only in the old, and in both but different (with what differs). */
  stepsAdded: string[];
  stepsRemoved: string[];
  stepsChanged: { id: string; parts: StepPart[] }[];
}

const PARTS: readonly StepPart[] = ["tool", "params", "dependsOn", "retry", "description"];

function changedParts(before: Step, after: Step): StepPart[] {
  if (before.description === after.description && stepRevisionKey(before) === stepRevisionKey(after)) return [];
  return PARTS.filter((part) => canonicalJson(before[part] ?? null) !== canonicalJson(after[part] ?? null));
}

/** Compares the current plan with the next version (both as plan data, defaults applied). */
export function previewRevision(before: PlanData, after: PlanData): RevisionPreview {
  const options = Object.keys(ExecutionOptionsSchema.shape)
    .map((key) => ({ key, from: before.options[key as keyof PlanData["options"]], to: after.options[key as keyof PlanData["options"]] }))
    .filter((o) => canonicalJson(o.from) !== canonicalJson(o.to));
  const old = new Map(before.steps.map((s) => [s.id, s]));
  const now = new Map(after.steps.map((s) => [s.id, s]));
  return {
    description: before.description === after.description ? undefined : { from: before.description, to: after.description },
    options,
    stepsAdded: after.steps.filter((s) => !old.has(s.id)).map((s) => s.id),
    stepsRemoved: before.steps.filter((s) => !now.has(s.id)).map((s) => s.id),
    stepsChanged: after.steps.flatMap((s) => {
      const was = old.get(s.id);
      const parts = was ? changedParts(was, s) : [];
      return parts.length > 0 ? [{ id: s.id, parts }] : [];
    }),
  };
}

/** Whether the preview holds no change at all. */
export function isEmptyPreview(preview: RevisionPreview): boolean {
  return !preview.description && preview.options.length === 0 && preview.stepsAdded.length === 0 && preview.stepsRemoved.length === 0 && preview.stepsChanged.length === 0;
}

const value = (v: unknown): string => safe(canonicalJson(v ?? null));

/** The preview as lines: `description: "a" → "b"`, `option stopOnError: true → false`, `+ step c (echo)`, `- step b`, `~ step a: params, description`. Terminal-safe. */
export function previewLines(preview: RevisionPreview, after: PlanData, c: Colors): string[] {
  const lines: string[] = [];
  if (preview.description) lines.push(`  description: ${value(preview.description.from)} → ${value(preview.description.to)}`);
  for (const o of preview.options) lines.push(`  option ${o.key}: ${value(o.from)} → ${value(o.to)}`);
  const toolOf = new Map(after.steps.map((s) => [s.id, s.tool]));
  for (const id of preview.stepsAdded) lines.push(`  ${c.green("+")} step ${safe(id)} (${safe(toolOf.get(id) ?? "?")})`);
  for (const id of preview.stepsRemoved) lines.push(`  ${c.red("-")} step ${safe(id)}`);
  for (const s of preview.stepsChanged) lines.push(`  ${c.yellow("~")} step ${safe(s.id)}: ${s.parts.join(", ")}`);
  return lines;
}
