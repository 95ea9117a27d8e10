import { PLAN_STATUS_WORDS, PlanroomError, reopenedEvent, type ExecutionPlan, type StepGraph } from "../../shared/index.js";
import { systemClock, type Clock } from "../runtime/clock.js";
import { applyAndNotify } from "./apply-and-notify.js";
import type { ExecuteOptions, ExecutorOptions } from "./executor-options.js";
import { normalisePlanOptions } from "./plan-options.js";
import { PlanRun } from "./plan-run.js";
import { lookupTool, type ToolRegistry } from "./tool-registry.js";

export type { ExecuteOptions, ExecutorOptions } from "./executor-options.js";
export type { ToolContext, ToolHandler, ToolRegistry } from "./tool-registry.js";

/**
 * Runs approved plans: calls each step's tool once its dependencies completed (concurrently up to
 * `maxParallelSteps` under `allowParallel`, else one at a time in plan order), with timeouts,
 * retries, stop-on-error and cancellation. It changes a plan only through events (`plan.apply`),
 * which it hands to `onEvent` as they happen, so a server can persist and broadcast them.
 */
export class Executor {
  readonly #tools: ToolRegistry;
  readonly #options: ExecutorOptions;
  readonly #clock: Clock;

  constructor(tools: ToolRegistry, options: ExecutorOptions = {}) {
    this.#tools = tools;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Runs every step not yet completed. Resolves with the plan in a final state (completed, failed
   * or cancelled) after the terminal event; rejects (`PlanroomError`) when it cannot start:
   * `APPROVAL_REQUIRED`, `VALIDATION`, `UNKNOWN_TOOL`, `INVALID_STATE`. The plan's options are
   * normalised first (an option set to `undefined` takes its default); invalid ones reject with
   * `VALIDATION` before any event.
   *
   * An internal error during the run (e.g. an event refused because the plan was changed behind
   * the executor's back) aborts the running attempts, cancels running steps and skips pending ones
   * (naming the error), and fails the plan with `INTERNAL`. If even `plan.failed` is refused, it
   * rejects with `INTERNAL` instead; it always settles.
   */
  execute(plan: ExecutionPlan, options: ExecuteOptions = {}): Promise<ExecutionPlan> {
    let graph: StepGraph | undefined;
    try {
      graph = this.#prepare(plan, options);
    } catch (error) {
      return Promise.reject(error);
    }
    return new PlanRun(plan, this.#tools, this.#options, this.#clock, options.signal, graph).start("execute", options.actor);
  }

  /**
   * Runs a failed or cancelled plan again: reopens it (its failed, skipped and cancelled steps go
   * back to pending; completed steps keep their results), then executes it. When the plan needs
   * approval again (`requireApproval` without `autoApprove`) it is left pending approval and this
   * rejects with `APPROVAL_REQUIRED`; approve it and call `resume` (or `execute`) again.
   */
  resume(plan: ExecutionPlan, options: ExecuteOptions = {}): Promise<ExecutionPlan> {
    try {
      if (plan.status === "failed" || plan.status === "cancelled") {
        normalisePlanOptions(plan);
        void applyAndNotify(plan, reopenedEvent(plan, this.#clock.now()), this.#options);
        if ((plan.status as string) === "pending_approval") throw new PlanroomError("APPROVAL_REQUIRED", `plan ${plan.id} needs approval again before it resumes`);
      } else if (plan.status !== "approved" && plan.status !== "pending_approval") {
        throw new PlanroomError("INVALID_STATE", `plan ${plan.id} is ${plan.status}: only a failed or cancelled plan can be resumed`);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return this.execute(plan, options);
  }

  /**
   * Continues a plan found `executing` after a crash: each step still `running` is retried (an
   * `INTERRUPTED` error) if its retry policy has attempts left, else fails (`INTERRUPTED`); then
   * scheduling goes on as in `execute` (completed steps stay completed). Options are checked as
   * in `execute`.
   */
  recover(plan: ExecutionPlan, options: ExecuteOptions = {}): Promise<ExecutionPlan> {
    let graph: StepGraph | undefined;
    try {
      if (plan.status !== "executing") throw new PlanroomError("INVALID_STATE", `plan ${plan.id} is ${plan.status}, not executing: nothing to recover`);
      normalisePlanOptions(plan);
      plan.assertValid({ onGraph: (found) => (graph = found) });
    } catch (error) {
      return Promise.reject(error);
    }
    return new PlanRun(plan, this.#tools, this.#options, this.#clock, options.signal, graph).start("recover", options.actor);
  }

  /** Checks that the plan may start and approves it when no reviewer is needed; returns its graph. */
  #prepare(plan: ExecutionPlan, options: ExecuteOptions): StepGraph | undefined {
    switch (plan.status) {
      case "draft":
      case "pending_approval":
      case "approved":
        break;
      case "executing":
        throw new PlanroomError("INVALID_STATE", `plan ${plan.id} is already executing`);
      case "failed":
      case "cancelled":
        throw new PlanroomError("INVALID_STATE", `plan ${plan.id} is ${plan.status}: resume it to run the rest`);
      default:
        throw new PlanroomError("INVALID_STATE", `plan ${plan.id} is ${plan.status} and cannot run`);
    }
    normalisePlanOptions(plan);
    let graph: StepGraph | undefined;
    plan.assertValid({ hasTool: (name) => lookupTool(this.#tools, name) !== undefined, onGraph: (found) => (graph = found) });
    if (plan.status === "approved") return graph;
    const { requireApproval, autoApprove } = plan.options;
    if (requireApproval && !autoApprove) {
      throw new PlanroomError("APPROVAL_REQUIRED", `plan ${plan.id} must be approved before it runs (it is ${PLAN_STATUS_WORDS[plan.status]})`);
    }
    const by = autoApprove ? [options.actor ?? "auto-approve"] : [];
    void applyAndNotify(plan, { type: "plan.approved", at: this.#clock.now(), ...(options.actor !== undefined ? { actor: options.actor } : {}), data: { by } }, this.#options);
    return graph;
  }
}
