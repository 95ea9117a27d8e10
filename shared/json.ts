import { z } from "zod";

/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Keys refused anywhere in client-supplied JSON: they are prototype-pollution vectors. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** How deep a JSON value may nest before it is refused. */
export const MAX_JSON_DEPTH = 32;

/**
 * Checks that `value` is plain JSON (finite numbers, plain objects, arrays, no forbidden keys,
 * bounded depth) and reports each problem through `report` with its path.
 */
export function checkJson(value: unknown, report: (path: (string | number)[], message: string) => void, path: (string | number)[] = []): void {
  visitJson(value, report, [...path], 0);
}

/** The walk of {@link checkJson}; `at` is a path stack, copied only when a problem is reported. */
function visitJson(v: unknown, report: (path: (string | number)[], message: string) => void, at: (string | number)[], depth: number): void {
  if (depth > MAX_JSON_DEPTH) return report(at.slice(), `nested deeper than ${MAX_JSON_DEPTH} levels`);
  if (v === null || typeof v === "string" || typeof v === "boolean") return;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) report(at.slice(), "number is not finite (not JSON)");
    return;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      if (!(i in v)) continue; // holes are not visited
      at.push(i);
      visitJson(v[i], report, at, depth + 1);
      at.pop();
    }
    return;
  }
  if (typeof v === "object") {
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return report(at.slice(), "not a plain JSON object");
    for (const key of Object.keys(v)) {
      at.push(key);
      if (FORBIDDEN_KEYS.has(key)) report(at.slice(), `key "${key}" is not allowed`);
      else visitJson((v as Record<string, unknown>)[key], report, at, depth + 1);
      at.pop();
    }
    return;
  }
  report(at.slice(), `${typeof v} is not JSON`);
}

/**
 * A zod schema accepting any plain JSON value (see {@link checkJson}). It is built on `z.any()`
 * and typed by its annotation: the walk of {@link checkJson} is what makes the value JSON, with a
 * message and path per problem that zod's own `z.json()` does not give.
 */
export const JsonValueSchema: z.ZodType<JsonValue> = z.any().superRefine((value, ctx) => {
  checkJson(value, (path, message) => ctx.addIssue({ code: "custom", path, message }));
});

/** A JSON object with string keys (tool parameters). */
export const JsonObjectSchema: z.ZodType<{ [key: string]: JsonValue }> = z.any().superRefine((value, ctx) => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    ctx.addIssue({ code: "custom", message: "expected a JSON object" });
    return;
  }
  checkJson(value, (path, message) => ctx.addIssue({ code: "custom", path, message }));
});
