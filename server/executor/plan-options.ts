import { ExecutionOptionsSchema, inputError, parseInput, type ExecutionPlan } from "../../shared/index.js";

/**
 * A copy of `value` without the entries whose value is `undefined`, in it and in the plain objects
 * it holds: an option set to `undefined` (as spreading gives) means "not set". Anything that is not
 * a plain object is returned as it is.
 */
export function withoutUndefined(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(value)) if (entry !== undefined) out[key] = withoutUndefined(entry);
  return out;
}

/**
 * Normalises and validates the options of a plan, which in-process code may have assigned directly:
 * options left `undefined` take their defaults, and `plan.options` becomes the parsed, fully
 * defaulted value. Throws `VALIDATION` (naming each bad option, paths under `options`) and leaves
 * the plan as it was when they are invalid.
 */
export function normalisePlanOptions(plan: ExecutionPlan): void {
  const parsed = parseInput(ExecutionOptionsSchema, withoutUndefined(plan.options));
  if (!parsed.success) {
    const issues = parsed.issues.map((issue) => ({ ...issue, path: ["options", ...issue.path] }));
    throw inputError(`options of plan ${plan.id}`, issues);
  }
  plan.options = parsed.data;
}
