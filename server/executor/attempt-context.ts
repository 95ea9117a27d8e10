import type { ExecutionPlan, JsonValue, Step } from "../../shared/index.js";
import type { ToolContext } from "./tool-registry.js";

/**
 * The context of one attempt. `signal`, `dependencies`, `idempotencyKey`, `planId`, `stepId` and
 * `tool` are getters, built on first use (most tools never look at them, and a large plan runs many
 * attempts); read them, do not spread `ctx`.
 */
export class AttemptContext implements ToolContext {
  readonly plan: ExecutionPlan;
  readonly step: Step;
  readonly attempt: number;
  readonly deadline: number;
  /** Index of the step in the plan (for the executor). */
  readonly index: number;
  /** Set once the executor has settled this attempt; later outcomes are ignored. */
  settled = false;
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;
  #dependencies: Record<string, JsonValue> | undefined;
  readonly #resultsOf: (index: number) => Record<string, JsonValue>;

  constructor(plan: ExecutionPlan, step: Step, index: number, attempt: number, deadline: number, resultsOf: (index: number) => Record<string, JsonValue>) {
    this.plan = plan;
    this.step = step;
    this.index = index;
    this.attempt = attempt;
    this.deadline = deadline;
    this.#resultsOf = resultsOf;
  }

  get planId(): string {
    return this.plan.id;
  }

  get stepId(): string {
    return this.step.id;
  }

  get tool(): string {
    return this.step.tool;
  }

  get idempotencyKey(): string {
    return `${this.plan.id}:${this.step.id}:${this.attempt}`;
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  get dependencies(): Record<string, JsonValue> {
    return (this.#dependencies ??= this.#resultsOf(this.index));
  }

  /** Aborts the attempt's signal (once). */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}
