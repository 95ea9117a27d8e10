/** JSON text that does not depend on the order of object keys. Pure. */

/**
 * JSON text of a value with every object's keys sorted, so that equal values give equal text
 * whatever order their keys were written in. Array order is kept (it means something).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}
