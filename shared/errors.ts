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
  "UNREACHABLE",
  "UNAVAILABLE",
] as const;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** A zod-style issue: where in the input something is wrong, and what. */
export interface Issue {
  path: (string | number)[];
  message: string;
  code?: string;
}

/** What a {@link PlanroomError} may carry besides its code and message. */
export interface PlanroomErrorOptions {
  /** Input problems, for `VALIDATION`. */
  issues?: Issue[] | undefined;
  /** The error this one wraps (kept as the standard `Error.cause`). */
  cause?: unknown;
  /**
   * The tool's own code, when a tool failed with one (e.g. a remote agent's `ENOENT`); a step's
   * error keeps it instead of {@link PlanroomError.code}.
   */
  toolCode?: string | undefined;
}

/**
 * The one error class of Planroom. `code` is stable and machine-readable; `issues` lists
 * input problems (for `VALIDATION`) in zod's shape; `cause` keeps a wrapped error.
 *
 * @example
 * ```ts
 * throw new PlanroomError("VALIDATION", "plan has no steps", [{ path: ["steps"], message: "at least one step" }]);
 * throw new PlanroomError("INTERNAL", "the store failed", { cause: error });
 * ```
 */
export class PlanroomError extends Error {
  override readonly name = "PlanroomError";
  readonly code: ErrorCode;
  readonly issues: Issue[] | undefined;
  readonly toolCode: string | undefined;

  /** `detail` is the issues alone, or {@link PlanroomErrorOptions}. */
  constructor(code: ErrorCode, message: string, detail?: Issue[] | PlanroomErrorOptions) {
    const options: PlanroomErrorOptions = Array.isArray(detail) ? { issues: detail } : (detail ?? {});
    super(message, "cause" in options ? { cause: options.cause } : undefined);
    this.code = code;
    this.issues = options.issues;
    this.toolCode = options.toolCode;
  }

  /** The JSON shape carried in acks and HTTP error bodies. */
  toJSON(): { code: ErrorCode; message: string; issues?: Issue[] } {
    return this.issues ? { code: this.code, message: this.message, issues: this.issues } : { code: this.code, message: this.message };
  }
}

/** Whether `value` is one of {@link ERROR_CODES}. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && (ERROR_CODES as readonly string[]).includes(value);
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
