import type { ExecutionPlan, PlanEventBody, Step, StepError } from "../../shared/index.js";
import type { Clock } from "../runtime/clock.js";

/** Callbacks and settings of an `Executor`. Every callback fires once per event, in causal order. */
export interface ExecutorOptions {
  /** Where time comes from (timestamps, timeouts, backoff); `systemClock` by default. */
  clock?: Clock;
  onPlanStart?(plan: ExecutionPlan): void;
  onStepStart?(plan: ExecutionPlan, step: Step): void;
  onStepComplete?(plan: ExecutionPlan, step: Step): void;
  /** A step failed for good (its retries, if any, are spent). */
  onStepFailed?(plan: ExecutionPlan, step: Step, error: StepError): void;
  /** An attempt failed and the step will be tried again after `delayMs`. */
  onStepRetry?(plan: ExecutionPlan, step: Step, error: StepError, delayMs: number): void;
  onStepSkipped?(plan: ExecutionPlan, step: Step): void;
  onStepCancelled?(plan: ExecutionPlan, step: Step): void;
  /** The run is over: the plan is completed, failed or cancelled. */
  onPlanComplete?(plan: ExecutionPlan): void;
  /**
   * Every event, called synchronously right after it was applied to the plan, in causal order. It
   * may return a promise (a server returns "the event is durable"): the executor then waits for the
   * promise of a `step.started` before it calls the step's tool, and for that of a `step.completed`
   * before it starts the step's dependents, so a crash can never hide an attempt that ran, nor a
   * result that a dependent used. A rejected promise ends the run as an internal error (`INTERNAL`);
   * the tool is not called. Returning nothing keeps the run synchronous, as without persistence.
   */
  onEvent?(event: PlanEventBody, plan: ExecutionPlan): void | Promise<unknown>;
  /**
   * The most bytes (UTF-8 JSON) one step's params may hold once their `$ref`s are resolved; a step
   * above it fails with `PARAMS_TOO_LARGE` without its tool being called. Unlimited by default.
   */
  maxParamsBytes?: number;
  /**
   * The most bytes (UTF-8 JSON) of one step's result; a larger result fails the step with
   * `RESULT_TOO_LARGE` (not retried) and is not recorded. Unlimited by default.
   */
  maxResultBytes?: number;
  /** A callback threw; the executor carries on regardless. Silent by default. */
  onCallbackError?(error: unknown, event: PlanEventBody): void;
}

/** Options of one `execute`, `resume` or `recover` call. */
export interface ExecuteOptions {
  /** Aborting it cancels the run; its `reason` may be `{ reason, by? }`, an `Error` or a string. */
  signal?: AbortSignal;
  /** Who asked for the run: the actor of `plan.started` (and of `plan.approved` under `autoApprove`). */
  actor?: string;
}
