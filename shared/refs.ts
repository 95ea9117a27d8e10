import type { JsonValue } from "./json.js";

/** A parsed `{ "$ref": "steps.<id>.result.<path>" }` found in a step's params. */
export interface StepRef {
  /** Where in the params the reference stands. */
  at: (string | number)[];
  /** The referenced step. */
  stepId: string;
  /** The path inside that step's result (empty for the whole result). */
  path: string[];
  /** The raw reference string. */
  ref: string;
}

const REF_PATTERN = /^steps\.([A-Za-z0-9_-]+)\.result((?:\.[^.]+)*)$/;

/** Whether a JSON value is a reference object: exactly one key, `$ref`. */
function isRefObject(value: unknown): value is { $ref: unknown } {
  // `"$ref" in value` first: most objects are not references, and it allocates nothing.
  return typeof value === "object" && value !== null && "$ref" in value && !Array.isArray(value) && Object.keys(value).length === 1;
}

/**
 * Finds every `$ref` in `params`. Malformed references are reported through `onError`
 * and left out of the result.
 */
export function findRefs(params: unknown, onError?: (at: (string | number)[], message: string) => void): StepRef[] {
  const refs: StepRef[] = [];
  visitRefs(params, [], refs, onError);
  return refs;
}

/** The walk of {@link findRefs}; `at` is a path stack, copied only when something is recorded. */
function visitRefs(value: unknown, at: (string | number)[], refs: StepRef[], onError?: (at: (string | number)[], message: string) => void): void {
  if (typeof value !== "object" || value === null) return;
  if (isRefObject(value)) {
    const ref = value.$ref;
    const match = typeof ref === "string" ? REF_PATTERN.exec(ref) : null;
    if (!match) {
      onError?.(at.slice(), `invalid reference ${JSON.stringify(ref)}: expected "steps.<id>.result[.<path>]"`);
      return;
    }
    const path = match[2] ? match[2].slice(1).split(".") : [];
    refs.push({ at: at.slice(), stepId: match[1] as string, path, ref: ref as string });
    return;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) continue; // holes are not visited
      at.push(i);
      visitRefs(value[i], at, refs, onError);
      at.pop();
    }
    return;
  }
  for (const k in value) {
    if (!Object.hasOwn(value, k)) continue;
    at.push(k);
    visitRefs((value as Record<string, unknown>)[k], at, refs, onError);
    at.pop();
  }
}

/** Whether `params` holds any reference (cheap pre-check that avoids copying). */
export function hasRefs(params: unknown): boolean {
  if (typeof params !== "object" || params === null) return false;
  if (isRefObject(params)) return true;
  if (Array.isArray(params)) return params.some(hasRefs);
  for (const key in params) if (Object.hasOwn(params, key) && hasRefs((params as Record<string, unknown>)[key])) return true;
  return false;
}

/** Reads `path` inside `value`; a missing segment is an error naming the reference. */
function readPath(value: unknown, path: string[], ref: string): JsonValue {
  let current: unknown = value;
  for (const segment of path) {
    if (current === null || typeof current !== "object" || !Object.hasOwn(current, segment)) {
      throw new Error(`reference ${ref}: "${segment}" not found in the result`);
    }
    current = (current as Record<string, unknown>)[segment];
  }
  return current as JsonValue;
}

/**
 * Returns a copy of `params` with every reference replaced by the referenced result value.
 * `resultOf(stepId)` gives a completed dependency's result. Throws when a path is missing.
 */
export function resolveRefs<T>(params: T, resultOf: (stepId: string) => unknown): T {
  if (!hasRefs(params)) return params;
  const visit = (value: unknown): unknown => {
    if (isRefObject(value)) {
      const ref = String(value.$ref);
      const match = REF_PATTERN.exec(ref);
      if (!match) throw new Error(`invalid reference ${JSON.stringify(ref)}`);
      const path = match[2] ? match[2].slice(1).split(".") : [];
      return readPath(resultOf(match[1] as string), path, ref);
    }
    if (Array.isArray(value)) return value.map(visit);
    if (typeof value === "object" && value !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = visit(v);
      return out;
    }
    return value;
  };
  return visit(params) as T;
}
