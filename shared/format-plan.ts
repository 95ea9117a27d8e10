import type { PlanData } from "./plan.js";
import type { StepStatus } from "./step.js";
import { formatDuration } from "./duration.js";
import { PLAN_STATUS_WORDS } from "./status-words.js";
import { summary } from "./summary.js";
import { terminalSafeLine, terminalSafeText } from "./terminal-safe.js";

/** Marks shown before each step once the plan has started running. */
export const STEP_MARKS: Readonly<Record<StepStatus, string>> = {
  pending: "[ ]",
  running: "[>]",
  completed: "[x]",
  failed: "[!]",
  skipped: "[-]",
  cancelled: "[/]",
};

/** Options of {@link formatPlan}. */
export interface FormatPlanOptions {
  /** Longest string value shown inside params before it is cut. */
  maxValueLength?: number;
  /** Longest params line before it is cut. */
  maxParamsLength?: number;
  /** Most steps listed; the rest are counted in one closing line. All by default. */
  maxSteps?: number;
}

function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  // Never cut between the two halves of a surrogate pair (an emoji would turn into an escape).
  const end = /[\ud800-\udbff]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return `${text.slice(0, end)}…(+${text.length - end} chars)`;
}

/**
 * Compact JSON with long strings shortened; deterministic (keeps the author's key order). Safe
 * for a terminal: controls, bidi and invisible characters in keys and values are `\uXXXX` escapes.
 */
export function compactJson(value: unknown, maxValueLength = 60, maxLength = 200): string {
  const shortened = JSON.stringify(value, (_key, v: unknown) => (typeof v === "string" ? truncate(v, maxValueLength) : v));
  return terminalSafeLine(truncate(shortened ?? "null", maxLength));
}

/** A description that may span lines; its later lines are indented so they cannot pose as lines of their own. */
function paragraph(text: string, indent: string): string {
  return terminalSafeText(text).replace(/\n/g, `\n${indent}`);
}

function optionsLine(plan: PlanData): string {
  const o = plan.options;
  const parts = [
    o.requireApproval ? (o.autoApprove ? "auto-approve" : "approval required") : "no approval needed",
    o.stopOnError ? "stop on error" : "continue on error",
    o.allowParallel ? `parallel (max ${o.maxParallelSteps})` : "sequential",
    `step timeout ${formatDuration(o.stepTimeoutMs)}`,
    o.retry.maxAttempts > 1 ? `retry ${o.retry.maxAttempts}× (backoff ${formatDuration(o.retry.backoffMs)})` : "no retry",
  ];
  return parts.join(" · ");
}

/**
 * Renders a plan as text for reviewers: a header with description, status and options, then each
 * step numbered with its tool, description, params (compact JSON, long values cut) and
 * dependencies; once the plan has started, a status mark, duration, and error per step, and the
 * progress. Deterministic: the same plan gives the same text.
 *
 * Safe for a terminal: every text that comes from the plan, its authors or its tools goes
 * through {@link terminalSafeLine} (controls, newlines included, shown as `\uXXXX`), except the
 * plan's description, which keeps its line breaks ({@link terminalSafeText}) with later lines
 * indented under the first.
 */
export function formatPlan(plan: PlanData, options: FormatPlanOptions = {}): string {
  const maxValue = options.maxValueLength ?? 60;
  const maxParams = options.maxParamsLength ?? 200;
  const started = plan.startedAt !== undefined || plan.steps.some((s) => s.status !== "pending");
  const numberOf = new Map(plan.steps.map((s, i) => [s.id, i + 1]));
  const width = String(plan.steps.length).length;

  const safe = terminalSafeLine;
  const lines = [
    `Plan: ${paragraph(plan.description, "      ")}`,
    `ID: ${safe(plan.id)} · version ${plan.version} · status: ${PLAN_STATUS_WORDS[plan.status]}`,
    `Options: ${optionsLine(plan)}`,
  ];
  if (plan.decision) {
    const who = plan.decision.by.length > 0 ? ` by ${plan.decision.by.map(safe).join(", ")}` : "";
    lines.push(`Decision: ${safe(plan.decision.outcome)}${who}${plan.decision.reason ? ` — ${safe(plan.decision.reason)}` : ""}`);
  }
  if (started) {
    const s = summary(plan, plan.finishedAt ?? plan.updatedAt);
    lines.push(`Progress: ${s.finished}/${s.total} steps (${s.progress.toFixed(1)}%)`);
  }
  if (plan.error) lines.push(`Error: ${safe(plan.error.message)}`);
  if (plan.cancellation) lines.push(`Cancelled: ${safe(plan.cancellation.reason)}${plan.cancellation.by ? ` (by ${safe(plan.cancellation.by)})` : ""}`);
  lines.push("", `Steps (${plan.steps.length}):`);
  if (plan.steps.length === 0) lines.push("  (none)");

  const indent = " ".repeat(width + 4);
  const listed = Math.min(plan.steps.length, Math.max(0, options.maxSteps ?? plan.steps.length));
  plan.steps.slice(0, listed).forEach((step, i) => {
    const number = String(i + 1).padStart(width);
    const mark = started ? `${STEP_MARKS[step.status]} ` : "";
    const timing = started && step.durationMs !== undefined ? ` (${formatDuration(step.durationMs)})` : "";
    lines.push(`  ${number}. ${mark}${safe(step.tool)}${step.description ? ` — ${safe(step.description)}` : ""}${timing}`);
    if (Object.keys(step.params).length > 0) lines.push(`${indent}params: ${compactJson(step.params, maxValue, maxParams)}`);
    if (step.dependsOn.length > 0) {
      lines.push(`${indent}depends on: ${step.dependsOn.map((d) => `${numberOf.get(d) ?? "?"} (${safe(d)})`).join(", ")}`);
    }
    if (started && step.attempts > 1) lines.push(`${indent}attempts: ${step.attempts}`);
    if (started && step.error) lines.push(`${indent}error: ${safe(truncate(step.error.message, 200))}`);
    if (started && step.reason && (step.status === "skipped" || step.status === "cancelled")) lines.push(`${indent}${step.status}: ${safe(step.reason)}`);
  });
  if (listed < plan.steps.length) lines.push(`  … and ${plan.steps.length - listed} more steps (not listed here)`);
  return lines.join("\n");
}
