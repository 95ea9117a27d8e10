import type { PlanEventBody, StepError } from "../../shared/index.js";
import type { Cancellation } from "./cancellation.js";

/**
 * How a run is going to end: its failed steps (the first one named) and its cancellation, if any.
 * It words the reasons of a stop and builds the plan's terminal event.
 */
export class RunOutcome {
  failures = 0;
  firstFailure: { stepId: string; error: StepError } | undefined;
  cancellation: Cancellation | undefined;

  /** Counts a step that failed for good. */
  noteFailure(stepId: string, error: StepError): void {
    this.failures++;
    this.firstFailure ??= { stepId, error };
  }

  /** Why a stop cancels the running steps (and, for a cancellation, skips the pending ones). */
  stopReason(): string {
    return this.cancellation ? `plan cancelled: ${this.cancellation.reason}` : `stopped: step "${this.firstFailure?.stepId}" failed`;
  }

  /** Why a stop skips the pending steps; `why` is the `stopReason`. */
  skipReason(why: string): string {
    return this.cancellation ? why : `not run: step "${this.firstFailure?.stepId}" failed`;
  }

  /** The plan's terminal event: `plan.cancelled`, `plan.failed` (naming the first failure) or `plan.completed`. */
  terminalEvent(at: number, durationMs: number): PlanEventBody {
    const c = this.cancellation;
    if (c) return { type: "plan.cancelled", at, ...(c.by !== undefined ? { actor: c.by } : {}), data: { reason: c.reason, durationMs } };
    if (this.firstFailure) {
      const { stepId, error } = this.firstFailure;
      const others = this.failures > 1 ? ` (and ${this.failures - 1} more failed step${this.failures > 2 ? "s" : ""})` : "";
      return { type: "plan.failed", at, data: { error: { code: error.code, message: `step "${stepId}" failed: ${error.message}${others}`.slice(0, 10_000) }, durationMs } };
    }
    return { type: "plan.completed", at, data: { durationMs } };
  }
}
