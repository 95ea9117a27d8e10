import { PlanroomError } from "./errors.js";
import type { StepError } from "./step.js";

const MAX_CODE = 64;
const MAX_MESSAGE = 10_000;

/**
 * Turns whatever a tool threw into a step error: a `PlanroomError` keeps its tool's own code if it
 * has one ({@link PlanroomError.toolCode}), else its code; an error with a
 * non-empty string `code` property keeps that code (cut to 64 characters), anything else is
 * `TOOL_ERROR`. The message is cut to 10,000 characters.
 */
export function toStepError(thrown: unknown): StepError {
  let code = "TOOL_ERROR";
  let message: string;
  if (thrown instanceof PlanroomError) {
    code = thrown.toolCode || thrown.code;
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
