/** Stable error codes shared by the library, the wire protocol and the HTTP API. */
export const ERROR_CODES = [
  "VALIDATION",
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "INVALID_STATE",
  "RATE_LIMITED",
  "INTERNAL",
  "APPROVAL_REQUIRED",
  "UNKNOWN_TOOL",
  "TIMEOUT",
  "CANCELLED",
  "AGENT_DISCONNECTED",
  "INTERRUPTED",
  "TOOL_ERROR",
  "DEPENDENCY_FAILED",
  "PARAMS_TOO_LARGE",
  "RESULT_TOO_LARGE",
  "QUOTA_EXCEEDED",
  "OUTCOME_UNKNOWN",
] as const;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** A zod-style issue: where in the input something is wrong, and what. */
export interface Issue {
  path: (string | number)[];
  message: string;
  code?: string;
}

/**
 * The one error class of Planroom. `code` is stable and machine-readable; `issues` lists
 * input problems (for `VALIDATION`) in zod's shape.
 */
export class PlanroomError extends Error {
  override readonly name = "PlanroomError";
  readonly code: ErrorCode;
  readonly issues: Issue[] | undefined;

  constructor(code: ErrorCode, message: string, issues?: Issue[]) {
    super(message);
    this.code = code;
    this.issues = issues;
  }

  /** The JSON shape carried in acks and HTTP error bodies. */
  toJSON(): { code: ErrorCode; message: string; issues?: Issue[] } {
    return this.issues ? { code: this.code, message: this.message, issues: this.issues } : { code: this.code, message: this.message };
  }
}

/** Thrown when a lifecycle transition is not allowed; names both states. */
export class LifecycleError extends PlanroomError {
  readonly from: string;
  readonly to: string;

  constructor(from: string, to: string, what?: string) {
    super("INVALID_STATE", `${what ?? "plan"} cannot go from ${from} to ${to}`);
    this.from = from;
    this.to = to;
  }
}

/** Turns zod issues (or anything issue-shaped) into Planroom issues. */
export function toIssues(issues: readonly { path: readonly PropertyKey[]; message: string; code?: string }[]): Issue[] {
  return issues.map((i) => ({
    path: i.path.map((p) => (typeof p === "symbol" ? String(p) : p)),
    message: i.message,
    ...(i.code ? { code: i.code } : {}),
  }));
}
