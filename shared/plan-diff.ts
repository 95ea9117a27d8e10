/**
 * What changed between two versions of a plan, compared the way reviewers read them: a step
 * changed when its description or its work (the `stepRevisionKey`) did, so params whose keys are
 * only reordered are no change. One comparison for the server's `plan.revised` event and the
 * CLI's preview of a revision. Pure.
 */
import { canonicalJson } from "./canonical-json.js";
import { ExecutionOptionsSchema, type ExecutionOptions } from "./execution-options.js";
import type { PlanData } from "./plan.js";
import type { Step } from "./step.js";
import { stepRevisionKey } from "./step-revision-key.js";

/** A part of a step that a revision can change. */
export type StepPart = "tool" | "params" | "dependsOn" | "retry" | "description";

/** The difference between a plan and its next version. */
export interface PlanDiff {
  /** The description's change, when it changed. */
  description: { from: string; to: string } | undefined;
  /** Options whose values differ (after defaults), with both values. */
  options: { key: keyof ExecutionOptions; from: unknown; to: unknown }[];
  /** Ids of steps only in the new version, and only in the old. */
  stepsAdded: string[];
  stepsRemoved: string[];
  /** Steps in both versions that differ, with the parts that do. */
  stepsChanged: { id: string; parts: StepPart[] }[];
}

const PARTS: readonly StepPart[] = ["tool", "params", "dependsOn", "retry", "description"];
const OPTION_KEYS = Object.keys(ExecutionOptionsSchema.shape) as (keyof ExecutionOptions)[];

function changedParts(before: Step, after: Step): StepPart[] {
  if (before.description === after.description && stepRevisionKey(before) === stepRevisionKey(after)) return [];
  return PARTS.filter((part) => canonicalJson(before[part] ?? null) !== canonicalJson(after[part] ?? null));
}

/**
 * Compares a plan with its next version (both as plan data, defaults applied).
 *
 * @example
 * diffPlans(current, next).stepsChanged // [{ id: "fetch", parts: ["params"] }]
 */
export function diffPlans(before: PlanData, after: PlanData): PlanDiff {
  const old = new Map(before.steps.map((s) => [s.id, s]));
  const now = new Map(after.steps.map((s) => [s.id, s]));
  return {
    description: before.description === after.description ? undefined : { from: before.description, to: after.description },
    options: OPTION_KEYS.map((key) => ({ key, from: before.options[key], to: after.options[key] })).filter((o) => canonicalJson(o.from) !== canonicalJson(o.to)),
    stepsAdded: after.steps.filter((s) => !old.has(s.id)).map((s) => s.id),
    stepsRemoved: before.steps.filter((s) => !now.has(s.id)).map((s) => s.id),
    stepsChanged: after.steps.flatMap((s) => {
      const was = old.get(s.id);
      const parts = was ? changedParts(was, s) : [];
      return parts.length > 0 ? [{ id: s.id, parts }] : [];
    }),
  };
}

/** Whether the diff holds no change at all. */
export function isEmptyDiff(diff: PlanDiff): boolean {
  return !diff.description && diff.options.length === 0 && diff.stepsAdded.length === 0 && diff.stepsRemoved.length === 0 && diff.stepsChanged.length === 0;
}
