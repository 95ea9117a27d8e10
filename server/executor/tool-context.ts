import type { ExecutionPlan, JsonValue, Step } from "../../shared/index.js";

/** What a tool is given besides its params. */
export interface ToolContext {
  /** Aborted on timeout, on cancellation of the plan, or when another step's failure stops the plan. */
  signal: AbortSignal;
  plan: ExecutionPlan;
  /** The live step being run. */
  step: Step;
  /** 1 for the first try, 2 for the first retry, … */
  attempt: number;
  /** `${plan.id}:${step.id}:${attempt}`: the same key means the same attempt. */
  idempotencyKey: string;
  /** Clock time (ms) at which this attempt times out. */
  deadline: number;
  /** Results of the step's direct dependencies, by step id. */
  dependencies: Record<string, JsonValue>;
}

/** A tool: called once per attempt with the step's params (references resolved) and a context. */
export type ToolHandler = (params: Record<string, JsonValue>, ctx: ToolContext) => Promise<unknown> | unknown;

/** The tools an executor can call, by name. A `Map` is read live, so tools may be added later. */
export type ToolRegistry = Record<string, ToolHandler> | Map<string, ToolHandler>;

/** Finds a tool by name; only own entries count (a tool named `constructor` is not `Object`). */
export function lookupTool(tools: ToolRegistry, name: string): ToolHandler | undefined {
  if (tools instanceof Map) return tools.get(name);
  return Object.hasOwn(tools, name) ? tools[name] : undefined;
}

/**
 * The context of one attempt. `signal`, `dependencies` and `idempotencyKey` are getters, built on first use (most
 * tools never look at them, and a large plan runs many attempts); read them, do not spread `ctx`.
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
