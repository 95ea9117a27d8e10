import type { ErrorCode } from "../../../shared/index.js";

/**
 * The HTTP status of each error code. A `Record` over every code: adding a code to `ERROR_CODES`
 * without choosing its status here fails to compile.
 */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  VALIDATION: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID_STATE: 409,
  /** The plan must be approved first: a state the request cannot skip. */
  APPROVAL_REQUIRED: 409,
  /** The request was cancelled before it took effect. */
  CANCELLED: 409,
  /** The request names a tool the server cannot run: understood, but cannot be processed. */
  UNKNOWN_TOOL: 422,
  /** A step this one needs failed. */
  DEPENDENCY_FAILED: 424,
  PARAMS_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  QUOTA_EXCEEDED: 429,
  INTERNAL: 500,
  /** A tool (an upstream of the server) failed, or answered more than the server accepts. */
  TOOL_ERROR: 502,
  RESULT_TOO_LARGE: 502,
  /** The agent serving the tool is away, or the run was interrupted: try again later. */
  AGENT_DISCONNECTED: 503,
  INTERRUPTED: 503,
  /** Whether the write happened is not known (the store failed mid-commit). */
  OUTCOME_UNKNOWN: 503,
  TIMEOUT: 504,
  /** A client could not reach the server (the SDK's and CLI's code; the server never answers with it). */
  UNREACHABLE: 503,
  UNAVAILABLE: 503,
};
