import { PlanroomError, type PlanStatus } from "../../shared/index.js";

/** The exit codes of `planroom`, documented in `--help` and the README. */
export const EXIT = {
  /** The command succeeded (for `--wait` and `watch ID`: the plan completed). */
  OK: 0,
  /** The plan ended badly: rejected, expired, failed or cancelled. */
  PLAN_ENDED_BADLY: 1,
  /** Bad usage or input, or the server refused the command (validation, not found, forbidden, wrong state). */
  USAGE: 2,
  /** No connection: the server is unreachable, refused the token, timed out or failed. */
  CONNECTION: 3,
} as const;

/** The exit-code table shown in `--help`. */
export const EXIT_CODES_HELP = `Exit codes:
  0  success (with --wait / watch ID: the plan completed)
  1  the plan ended badly: rejected, expired, failed or cancelled
  2  usage or input error, or the server refused the command
     (VALIDATION, NOT_FOUND, FORBIDDEN, CONFLICT, INVALID_STATE, ...)
  3  connection error: server unreachable, token refused, timeout, server error`;

const CONNECTION_CODES = new Set(["UNREACHABLE", "UNAVAILABLE", "UNAUTHENTICATED", "TIMEOUT", "INTERNAL", "RATE_LIMITED", "INTERRUPTED"]);

/** The exit code for an error a command ended with. */
export function exitCodeForError(error: unknown): number {
  if (error instanceof PlanroomError) return CONNECTION_CODES.has(error.code) ? EXIT.CONNECTION : EXIT.USAGE;
  return EXIT.CONNECTION;
}

/** The exit code for the status a followed plan ended in. */
export function exitCodeForStatus(status: PlanStatus): number {
  return status === "completed" ? EXIT.OK : EXIT.PLAN_ENDED_BADLY;
}
