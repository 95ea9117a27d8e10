import type { ExecutionPlan, PlanEventBody, Step } from "../../shared/index.js";
import type { ExecutorOptions } from "./executor-options.js";

/**
 * Applies `event` to the plan through the shared fold, then tells `onEvent`, then the matching
 * callback. A throwing callback is reported to `onCallbackError` and does not stop anything; a
 * throwing fold (an illegal event) throws before anything is told. `step`, for a step event, is
 * the live step it names (saves a lookup). Returns the promise `onEvent` returned, if any (see
 * `ExecutorOptions.onEvent`).
 */
export function applyAndNotify(plan: ExecutionPlan, event: PlanEventBody, hooks: ExecutorOptions, step?: Step): Promise<unknown> | undefined {
  plan.apply(event, step);
  let settled: Promise<unknown> | undefined;
  if (hooks.onEvent) {
    try {
      const returned = hooks.onEvent(event, plan);
      if (returned instanceof Promise) settled = returned;
    } catch (error) {
      report(hooks, error, event);
    }
  }
  try {
    switch (event.type) {
      case "plan.started":
        hooks.onPlanStart?.(plan);
        break;
      case "step.started":
        if (hooks.onStepStart) hooks.onStepStart(plan, step ?? stepOf(plan, event.data.stepId));
        break;
      case "step.completed":
        if (hooks.onStepComplete) hooks.onStepComplete(plan, step ?? stepOf(plan, event.data.stepId));
        break;
      case "step.failed":
        if (hooks.onStepFailed) hooks.onStepFailed(plan, step ?? stepOf(plan, event.data.stepId), event.data.error);
        break;
      case "step.retrying":
        if (hooks.onStepRetry) hooks.onStepRetry(plan, step ?? stepOf(plan, event.data.stepId), event.data.error, event.data.delayMs);
        break;
      case "step.skipped":
        if (hooks.onStepSkipped) hooks.onStepSkipped(plan, step ?? stepOf(plan, event.data.stepId));
        break;
      case "step.cancelled":
        if (hooks.onStepCancelled) hooks.onStepCancelled(plan, step ?? stepOf(plan, event.data.stepId));
        break;
      case "plan.completed":
      case "plan.failed":
      case "plan.cancelled":
        hooks.onPlanComplete?.(plan);
        break;
      default:
        break;
    }
  } catch (error) {
    report(hooks, error, event);
  }
  return settled;
}

function stepOf(plan: ExecutionPlan, id: string) {
  // The fold has just found this step, so it exists.
  return plan.getStep(id)!;
}

function report(hooks: ExecutorOptions, error: unknown, event: PlanEventBody): void {
  try {
    hooks.onCallbackError?.(error, event);
  } catch {
    // A failing error reporter has nowhere left to report to.
  }
}
