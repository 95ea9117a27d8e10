import type { WireError } from "../../shared/index.js";
import { PlanroomError } from "../../shared/index.js";
import type { Logger } from "../runtime/logger.js";

/**
 * Turns anything thrown into the error half of an answer (a socket ack or an HTTP error body):
 * a `PlanroomError` as it is; anything else is logged with its stack and answered as `INTERNAL`,
 * so that no internal detail reaches a client.
 */
export function toWireError(error: unknown, log: Logger, command: string): WireError {
  if (error instanceof PlanroomError) return error.toJSON();
  log.error(`${command}: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return { code: "INTERNAL", message: "internal error" };
}
