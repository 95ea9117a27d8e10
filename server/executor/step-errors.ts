import { PlanroomError, type StepError } from "../../shared/index.js";

const MAX_CODE = 64;
const MAX_MESSAGE = 10_000;

/**
 * Turns whatever a tool threw into a step error: a `PlanroomError` keeps its code, an error with a
 * string `code` property keeps that code, anything else is `TOOL_ERROR`.
 */
export function toStepError(thrown: unknown): StepError {
  let code = "TOOL_ERROR";
  let message: string;
  if (thrown instanceof PlanroomError) {
    code = thrown.code;
    message = thrown.message;
  } else if (thrown instanceof Error) {
    const own = (thrown as { code?: unknown }).code;
    if (typeof own === "string" && own !== "") code = own;
    message = thrown.message || thrown.name;
  } else if (typeof thrown === "string") {
    message = thrown;
  } else {
    message = safeString(thrown);
  }
  return { code: code.slice(0, MAX_CODE), message: (message || "tool failed").slice(0, MAX_MESSAGE) };
}

function safeString(value: unknown): string {
  try {
    const json = JSON.stringify(value);
    return json === undefined ? String(value) : `tool threw ${json}`;
  } catch {
    return "tool threw a value that cannot be shown";
  }
}

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
