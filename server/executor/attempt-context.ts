import type { ExecutionPlan, JsonValue, Step } from "../../shared/index.js";
import type { ToolContext } from "./tool-registry.js";

/** What an attempt does when its tool waits for an agent: pauses the deadline, returns how to resume it. */
export type AttemptWaitHook = (ctx: AttemptContext, tool: string) => () => void;

/**
 * The context of one attempt. `signal`, `dependencies`, `idempotencyKey`, `planId`, `stepId` and
 * `tool` are getters, built on first use (most tools never look at them, and a large plan runs many
 * attempts); read them, do not spread `ctx`.
 */
export class AttemptContext implements ToolContext {
  readonly plan: ExecutionPlan;
  readonly step: Step;
  readonly attempt: number;
  /** Clock time at which the attempt times out; `Infinity` while it waits for an agent (moved later by the wait). */
  deadline: number;
  /** Index of the step in the plan (for the executor). */
  readonly index: number;
  /** Set once the executor has settled this attempt; later outcomes are ignored. */
  settled = false;
  /** Set once the deadline moved (a wait for an agent): the FIFO deadline watch skips the attempt. */
  detached = false;
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;
  #dependencies: Record<string, JsonValue> | undefined;
  readonly #resultsOf: (index: number) => Record<string, JsonValue>;
  readonly #onWait: AttemptWaitHook | undefined;

  constructor(plan: ExecutionPlan, step: Step, index: number, attempt: number, deadline: number, resultsOf: (index: number) => Record<string, JsonValue>, onWait?: AttemptWaitHook) {
    this.plan = plan;
    this.step = step;
    this.index = index;
    this.attempt = attempt;
    this.deadline = deadline;
    this.#resultsOf = resultsOf;
    this.#onWait = onWait;
  }

  waitForAgent(tool: string): () => void {
    return this.#onWait ? this.#onWait(this, tool) : () => {};
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
