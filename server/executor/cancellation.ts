/** Why a plan was cancelled, read from an abort signal's `reason`. */
export interface Cancellation {
  reason: string;
  by?: string;
}

/**
 * Reads a cancellation from `signal.reason`: `{ reason, by? }` as given, an `Error` → its message
 * (a bare `abort()` → "cancelled"), a string → itself, anything else → "cancelled".
 */
export function cancellationOf(reason: unknown): Cancellation {
  if (typeof reason === "string" && reason !== "") return { reason };
  if (reason instanceof Error) {
    if (reason.name === "AbortError" || reason.message === "") return { reason: "cancelled" };
    return { reason: reason.message };
  }
  if (typeof reason === "object" && reason !== null && typeof (reason as { reason?: unknown }).reason === "string") {
    const r = reason as { reason: string; by?: unknown };
    return typeof r.by === "string" ? { reason: r.reason, by: r.by } : { reason: r.reason };
  }
  return { reason: "cancelled" };
}
