/**
 * The one gate for input: every edge (socket commands, HTTP queries, plan files, the in-process
 * API, the server's configuration) parses what it receives with a shared zod schema through
 * {@link parseInput}, so that a problem is reported the same way wherever it comes in.
 *
 * Input schemas are strict: an unknown key is an error, never silently dropped (a misspelled
 * `dependOn` would otherwise run a step without its dependency). Each unknown key becomes its own
 * issue, at its own path, with the nearest known key as a suggestion.
 *
 * @example
 * ```ts
 * const parsed = parseInput(StepInputSchema, { tool: "fetch", dependOn: ["a"] });
 * // parsed.success === false
 * // parsed.issues[0] → { path: ["dependOn"], code: "unrecognized_keys",
 * //                      message: 'unknown key "dependOn" (did you mean "dependsOn"?)' }
 * ```
 */
import leven from "leven";
import type { z } from "zod";
import { PlanroomError, type Issue } from "./errors.js";

/** The result of {@link parseInput}. */
export type ParsedInput<T> = { success: true; data: T } | { success: false; issues: Issue[] };

/** The nearest of `known` to `key`, if it is near enough to be a likely misspelling. */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = candidate.toLowerCase() === lower ? 0 : leven(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/** The message for one unknown key: `unknown key "dependOn" (did you mean "dependsOn"?)`. */
export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const near = nearestKey(key, known);
  return near === undefined ? `unknown key "${key}"` : `unknown key "${key}" (did you mean "${near}"?)`;
}

/** The keys an object schema knows (empty for anything else). */
function knownKeys(schema: unknown): string[] {
  const shape = (schema as { _zod?: { def?: { shape?: unknown } } } | undefined)?._zod?.def?.shape;
  return typeof shape === "object" && shape !== null ? Object.keys(shape) : [];
}

/**
 * Parses `input` with `schema`. On failure, the zod issues become Planroom issues; an
 * `unrecognized_keys` issue becomes one issue per key, whose path ends with the key and whose
 * message suggests the nearest known key.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): ParsedInput<z.output<S>> {
  // The plain parse is the fast path (a per-parse error hook makes zod several times slower), and
  // valid input, the common case, needs nothing more.
  const first = schema.safeParse(input);
  if (first.success) return { success: true, data: first.data };
  // Which keys each object knew, in the order zod reported the unknown ones: only a second parse
  // of the refused input sees the schema objects that raised them.
  const known: { keys: readonly string[]; known: string[] }[] = [];
  const parsed = schema.safeParse(input, {
    error: (issue) => {
      if (issue.code === "unrecognized_keys") known.push({ keys: issue.keys, known: knownKeys(issue.inst) });
      return undefined;
    },
  });
  if (parsed.success) return { success: true, data: parsed.data };
  const issues: Issue[] = [];
  for (const issue of parsed.error.issues.flatMap((each) => unionBranchIssues(each, []))) {
    const path = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p));
    if (issue.code !== "unrecognized_keys") {
      issues.push({ path, message: issue.message, code: issue.code });
      continue;
    }
    const at = known.findIndex((k) => k.keys === issue.keys || k.keys.join("\0") === issue.keys.join("\0"));
    const names = at >= 0 ? known.splice(at, 1)[0]!.known : [];
    for (const key of issue.keys) issues.push({ path: [...path, key], message: unknownKeyMessage(key, names), code: "unrecognized_keys" });
  }
  return { success: false, issues };
}

/**
 * A failed union says only "Invalid input". The branch that got furthest — one that failed only
 * inside the value, else one that at least had the value's type — says what the caller got wrong: `status: ["bogus"]` against
 * "a status or a list of statuses" becomes `status.0: Invalid option: expected one of …`. The
 * branch's paths are relative to the union, so they are prefixed with its path.
 */
function unionBranchIssues(issue: z.core.$ZodIssue, prefix: PropertyKey[]): z.core.$ZodIssue[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === "invalid_union" && issue.errors.length > 0) {
    const tried = issue.errors.filter((errors) => errors.length > 0);
    const branch = tried.find((errors) => errors.every((e) => e.path.length > 0)) ?? tried.find((errors) => !errors.some((e) => e.path.length === 0 && e.code === "invalid_type"));
    if (branch) return branch.flatMap((each) => unionBranchIssues(each, path));
  }
  return [{ ...issue, path }];
}

/** One line for an issue: `steps.0.dependOn: unknown key "dependOn" (did you mean "dependsOn"?)`. */
export function issueLine(issue: Issue): string {
  return `${issue.path.length > 0 ? issue.path.join(".") : "(root)"}: ${issue.message}`;
}

/**
 * The `VALIDATION` error for input that failed: `invalid <what>: <first issue>` (plus how many
 * more there are), with every issue attached.
 */
export function inputError(what: string, issues: Issue[]): PlanroomError {
  const first = issues[0];
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? "s" : ""})` : "";
  return new PlanroomError("VALIDATION", `invalid ${what}${first ? `: ${issueLine(first)}` : ""}${more}`, issues);
}

/** {@link parseInput}, throwing {@link inputError} on failure. */
export function parseInputOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const parsed = parseInput(schema, input);
  if (!parsed.success) throw inputError(what, parsed.issues);
  return parsed.data;
}
