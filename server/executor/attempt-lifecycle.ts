import {
  backoffDelay,
  findStep,
  jsonByteLength,
  PlanroomError,
  resolveRefs,
  toStepError,
  type ExecutionPlan,
  type JsonValue,
  type PlanEventBody,
  type Step,
  type StepError,
} from "../../shared/index.js";
import type { Clock } from "../runtime/clock.js";
import { AttemptContext, type AttemptWaitHook } from "./attempt-context.js";
import { DeadlineWatch } from "./deadline-watch.js";
import type { ExecutorOptions } from "./executor-options.js";
import { resultProblem } from "./result-check.js";
import { RUNNING, type StepTable } from "./step-table.js";
import { lookupTool, type ToolRegistry } from "./tool-registry.js";

/** An error's message for another error's text, cut to 2,000 characters. */
function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 2_000);
}

/** What the attempts of a run need of the run itself. */
export interface AttemptHost {
  readonly plan: ExecutionPlan;
  readonly table: StepTable;
  /** The run stops (or has stopped): no attempt starts, none is retried. */
  readonly stopping: boolean;
  /** The run has ended. */
  readonly finished: boolean;
  /** Applies and publishes an event; returns the promise that it is recorded, if there is one. */
  emit(event: PlanEventBody, step?: Step): Promise<unknown> | undefined;
  /** Starts ready steps while there is room; ends the run when nothing is left. */
  schedule(): void;
  /** Runs `fn`, turning an unexpected throw into `crash`. */
  guard(fn: () => void): void;
  /** Ends the run on an internal error. */
  crash(error: unknown): void;
  /** Counts a step that failed for good (before its `step.failed` is emitted). */
  noteFailure(stepId: string, error: StepError): void;
  /** Step `i` failed for good and its `step.failed` is emitted: stop, or skip its dependents. */
  stepFailed(i: number): void;
}

/**
 * The attempts of one run: each starts once its `step.started` is recorded, calls the tool with
 * the step's resolved params, and settles as completed, retried after its backoff, or failed; a
 * single deadline timer times attempts out. It owns the live attempt contexts and backoff timers.
 */
export class AttemptLifecycle {
  private readonly attempts: (AttemptContext | undefined)[];
  private readonly backoff = new Map<number, unknown>();
  /** The deadline timers of attempts that waited for an agent (out of the FIFO watch's order). */
  private readonly ownDeadlines = new Map<AttemptContext, unknown>();
  private readonly onWait: AttemptWaitHook = (ctx, tool) => this.waitForAgent(ctx, tool);
  private readonly deadlines: DeadlineWatch<AttemptContext>;
  private readonly timeoutMs: number;
  private readonly onDeadline = (ctx: AttemptContext): void => this.host.guard(() => this.timeOut(ctx));
  private readonly resultsOf = (index: number): Record<string, JsonValue> => this.host.table.dependencyResults(index);
  private readonly resultOf = (stepId: string): unknown => findStep(this.host.plan, stepId)?.result;

  constructor(
    private readonly host: AttemptHost,
    private readonly tools: ToolRegistry,
    private readonly hooks: ExecutorOptions,
    private readonly clock: Clock,
  ) {
    this.attempts = new Array<AttemptContext | undefined>(host.table.n);
    this.timeoutMs = host.plan.options.stepTimeoutMs;
    this.deadlines = new DeadlineWatch<AttemptContext>(clock, this.onDeadline);
  }

  /** Starts attempt `attempt` of running step `i`: its tool is called once the start is recorded. */
  start(i: number, attempt: number): void {
    const { host } = this;
    const step = host.table.steps[i]!;
    const at = this.clock.now();
    const durable = host.emit({ type: "step.started", at, data: { stepId: step.id, attempt } }, step);
    if (host.table.state[i] !== RUNNING || host.stopping) return; // a callback stopped the run
    const ctx = new AttemptContext(host.plan, step, i, attempt, at + this.timeoutMs, this.resultsOf, this.onWait);
    this.attempts[i] = ctx;
    this.deadlines.watch(ctx);
    if (!durable) return this.invoke(ctx);
    // The tool runs only once its start is recorded: a crash can then never hide that it ran, and
    // the attempt number (the idempotency key) is never handed out twice.
    durable.then(
      () => host.guard(() => this.invoke(ctx)),
      (error: unknown) => host.crash(new PlanroomError("INTERNAL", `the start of step "${step.id}" could not be recorded: ${errorText(error)}`)),
    );
  }

  /** Fails the attempt that running step `i` had when the process stopped (`INTERRUPTED`, retried if its policy allows). */
  interrupted(i: number): void {
    const step = this.host.table.steps[i]!;
    const attempt = Math.max(1, step.attempts);
    const error = { code: "INTERRUPTED", message: `step "${step.id}" was interrupted by a restart (attempt ${attempt})` };
    this.failed(new AttemptContext(this.host.plan, step, i, attempt, this.clock.now(), this.resultsOf), error, true);
  }

  /** Gives up the attempt of step `i` as the run stops: its signal is aborted, a pending retry cleared. */
  abandon(i: number, reason: unknown): void {
    const ctx = this.attempts[i];
    this.attempts[i] = undefined;
    if (ctx) {
      ctx.settled = true;
      this.disarm(ctx);
      ctx.abort(reason);
    }
    const timer = this.backoff.get(i);
    if (timer !== undefined) this.clock.clearTimeout(timer);
    this.backoff.delete(i);
  }

  /** Settles and aborts every live attempt (the fault path); a throwing abort listener does not stop the others. */
  abortAll(reason: unknown): void {
    for (let i = 0; i < this.attempts.length; i++) {
      const ctx = this.attempts[i];
      this.attempts[i] = undefined;
      if (!ctx) continue;
      ctx.settled = true;
      this.disarm(ctx);
      try {
        ctx.abort(reason);
      } catch {
        // a throwing abort listener does not stop the others
      }
    }
  }

  /** Clears the deadline timer and every backoff timer. */
  stopTimers(): void {
    this.deadlines.stop();
    for (const timer of this.ownDeadlines.values()) this.clock.clearTimeout(timer);
    this.ownDeadlines.clear();
    for (const timer of this.backoff.values()) this.clock.clearTimeout(timer);
    this.backoff.clear();
  }

  /** Calls the attempt's tool with its resolved params (unless the attempt is over already). */
  private invoke(ctx: AttemptContext): void {
    const { host } = this;
    if (ctx.settled || host.table.state[ctx.index] !== RUNNING || host.stopping) return;
    const step = ctx.step;
    const i = ctx.index;
    const tool = lookupTool(this.tools, step.tool);
    if (!tool) return this.failed(ctx, { code: "UNKNOWN_TOOL", message: `unknown tool "${step.tool}" (step "${step.id}")` }, false);
    let params = step.params;
    if (host.table.mayHoldRefs(i)) {
      try {
        params = resolveRefs(params, this.resultOf);
      } catch (error) {
        return this.failed(ctx, { code: "VALIDATION", message: `step "${step.id}": ${(error as Error).message}` }, false);
      }
      // Resolved references share the results they name, so this is cheap to build; its size is
      // measured with a budget, never by writing it out.
      const max = this.hooks.maxParamsBytes;
      if (max !== undefined && jsonByteLength(params, max) > max) {
        return this.failed(ctx, { code: "PARAMS_TOO_LARGE", message: `step "${step.id}": its params hold more than ${max} bytes once their $refs are resolved` }, false);
      }
    }
    let outcome: unknown;
    try {
      outcome = tool(params, ctx);
    } catch (error) {
      outcome = Promise.reject(error);
    }
    Promise.resolve(outcome).then(
      (value) => {
        try {
          this.succeeded(ctx, value);
        } catch (error) {
          host.crash(error);
        }
      },
      (thrown: unknown) => {
        try {
          const error = toStepError(thrown);
          // The agent had its whole grace period to come back: another attempt would only wait again.
          this.failed(ctx, error, error.code !== "AGENT_DISCONNECTED");
        } catch (error) {
          host.crash(error);
        }
      },
    );
  }

  private succeeded(ctx: AttemptContext, value: unknown): void {
    const { host } = this;
    const { table } = host;
    if (ctx.settled || table.state[ctx.index] !== RUNNING) return;
    const result = value === undefined ? null : value;
    const problem = resultProblem(result);
    if (problem !== undefined) {
      return this.failed(ctx, { code: "TOOL_ERROR", message: `tool "${ctx.step.tool}" returned a result that is not JSON: ${problem}` }, true);
    }
    const max = this.hooks.maxResultBytes;
    if (max !== undefined && typeof result !== "boolean" && typeof result !== "number" && result !== null && jsonByteLength(result, max) > max) {
      return this.failed(ctx, { code: "RESULT_TOO_LARGE", message: `tool "${ctx.step.tool}" returned more than ${max} bytes (step "${ctx.step.id}"); results are capped at ${max} bytes` }, false);
    }
    ctx.settled = true;
    this.disarm(ctx);
    const i = ctx.index;
    const step = ctx.step;
    table.settle(i);
    this.attempts[i] = undefined;
    const at = this.clock.now();
    const durable = host.emit({ type: "step.completed", at, data: { stepId: step.id, attempt: ctx.attempt, result: result as JsonValue, durationMs: Math.max(0, at - (step.startedAt ?? at)) } }, step);
    if (!durable) {
      table.release(i);
      return host.schedule();
    }
    // Its slot is free now; its dependents start once the completion (their input) is recorded.
    host.schedule();
    durable.then(
      () =>
        host.guard(() => {
          if (host.finished) return;
          table.release(i);
          host.schedule();
        }),
      (error: unknown) => host.crash(new PlanroomError("INTERNAL", `the completion of step "${step.id}" could not be recorded: ${errorText(error)}`)),
    );
  }

  private failed(ctx: AttemptContext, error: StepError, retryable: boolean): void {
    const { host } = this;
    if (ctx.settled || host.table.state[ctx.index] !== RUNNING) return;
    ctx.settled = true;
    this.disarm(ctx);
    const i = ctx.index;
    const step = ctx.step;
    const policy = step.retry ?? host.plan.options.retry;
    // The policy counts the attempts of this run; earlier runs' attempts keep their numbers.
    const attemptOfRun = ctx.attempt - (step.priorAttempts ?? 0);
    if (retryable && !host.stopping && attemptOfRun < policy.maxAttempts) {
      const delayMs = backoffDelay(policy, attemptOfRun + 1);
      void host.emit({ type: "step.retrying", at: this.clock.now(), data: { stepId: step.id, attempt: ctx.attempt, delayMs, error } }, step);
      if (host.table.state[i] === RUNNING && !host.stopping) this.retryLater(i, ctx.attempt + 1, delayMs);
      return;
    }
    host.table.settle(i);
    this.attempts[i] = undefined;
    host.noteFailure(step.id, error);
    const at = this.clock.now();
    void host.emit({ type: "step.failed", at, data: { stepId: step.id, attempt: ctx.attempt, error, durationMs: Math.max(0, at - (step.startedAt ?? at)) } }, step);
    host.stepFailed(i);
  }

  private retryLater(i: number, attempt: number, delayMs: number): void {
    const { host } = this;
    const fire = (): void =>
      host.guard(() => {
        this.backoff.delete(i);
        if (host.table.state[i] === RUNNING && !host.stopping) this.start(i, attempt);
      });
    if (delayMs <= 0) queueMicrotask(fire);
    else this.backoff.set(i, this.clock.setTimeout(fire, delayMs));
  }

  /**
   * The attempt's tool waits for the agent that serves `tool`: its deadline stops counting and
   * `step.waiting` is recorded. The returned function ends the wait: the deadline counts again
   * with the time that was left (on a timer of its own, as it is now out of start order) and
   * `step.resumed` is recorded. A wait while the attempt is over, or already waiting, changes nothing.
   */
  private waitForAgent(ctx: AttemptContext, tool: string): () => void {
    const { host } = this;
    const idle = (): void => {};
    if (!this.live(ctx) || ctx.deadline === Infinity) return idle;
    const since = this.clock.now();
    const left = Math.max(0, ctx.deadline - since);
    this.disarm(ctx);
    ctx.detached = true;
    ctx.deadline = Infinity;
    const { step, attempt } = ctx;
    void host.emit({ type: "step.waiting", at: since, data: { stepId: step.id, attempt, reason: "agent", tool } }, step);
    let over = false;
    return () => {
      if (over || ctx.settled) return;
      over = true;
      // A run that stopped meanwhile (cancelled, shutting down) arms nothing: no timer would clear it.
      if (!this.live(ctx)) return;
      const now = this.clock.now();
      ctx.deadline = now + left;
      this.ownDeadlines.set(
        ctx,
        this.clock.setTimeout(() => {
          this.ownDeadlines.delete(ctx);
          this.onDeadline(ctx);
        }, left),
      );
      void host.emit({ type: "step.resumed", at: now, data: { stepId: step.id, attempt, waitedMs: now - since } }, step);
    };
  }

  /** The attempt is the running one of its step, in a run that goes on. */
  private live(ctx: AttemptContext): boolean {
    const { host } = this;
    return !ctx.settled && !host.stopping && !host.finished && host.table.state[ctx.index] === RUNNING && this.attempts[ctx.index] === ctx;
  }

  /** Clears the attempt's own deadline timer, if it has one. */
  private disarm(ctx: AttemptContext): void {
    const timer = this.ownDeadlines.get(ctx);
    if (timer === undefined) return;
    this.clock.clearTimeout(timer);
    this.ownDeadlines.delete(ctx);
  }

  private timeOut(ctx: AttemptContext): void {
    const message = `step "${ctx.step.id}" timed out after ${this.timeoutMs}ms (attempt ${ctx.attempt})`;
    ctx.abort(new PlanroomError("TIMEOUT", message));
    this.failed(ctx, { code: "TIMEOUT", message }, true);
  }
}
