import {
  backoffDelay,
  findStep,
  jsonByteLength,
  PlanroomError,
  resolveRefs,
  type ExecutionPlan,
  type JsonValue,
  type PlanEventBody,
  type Step,
  type StepError,
  type StepGraph,
} from "../../shared/index.js";
import type { Clock } from "../runtime/clock.js";
import type { ExecutorOptions } from "./executor-options.js";
import { publishEvent } from "./run-hooks.js";
import { DeadlineWatch } from "./deadline-watch.js";
import { ReadyQueue } from "./ready-queue.js";
import { resultProblem } from "./result-check.js";
import { stepAdjacency } from "./step-adjacency.js";
import { cancellationOf, toStepError, type Cancellation } from "./step-errors.js";
import { AttemptContext, lookupTool, type ToolRegistry } from "./tool-context.js";

function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 2_000);
}

/** Attempts started in one pass of the event loop before the run lets others in (see `schedule`). */
const STARTS_PER_TURN = 500;

// Scheduling state of each step, kept apart from `step.status` (which only events change).
const WAITING = 0; // pending, some dependency not completed yet
const READY = 1; // pending, in the ready queue
const RUNNING = 2; // an attempt runs, or a retry waits for its backoff
const DONE = 3; // completed, failed, skipped or cancelled

/**
 * One run of a plan: true DAG scheduling over precomputed indegrees and dependents (a step starts
 * as soon as its own dependencies completed), retries with backoff, per-attempt timeouts through a
 * single deadline timer, stop-on-error, cancellation. Every change goes through `publishEvent`.
 */
export class PlanRun {
  private readonly steps: Step[];
  private readonly n: number;
  private readonly state: Uint8Array;
  private readonly remaining: Int32Array;
  private readonly depStart: Int32Array;
  private readonly depList: Int32Array;
  private readonly outStart: Int32Array;
  private readonly outList: Int32Array;
  /** 1 where a step's params hold a `$ref`; unknown (look at every step) without validation's graph. */
  private readonly withRefs: Uint8Array | undefined;
  private readonly ready: ReadyQueue;
  private readonly attempts: (AttemptContext | undefined)[];
  private readonly backoff = new Map<number, unknown>();
  private readonly limit: number;
  private readonly timeoutMs: number;
  private readonly clock: Clock;

  private running = 0;
  private unsettled = 0;
  private failures = 0;
  private firstFailure: { stepId: string; error: StepError } | undefined;
  private cancellation: Cancellation | undefined;
  private stopping = false;
  private finished = false;
  /** `start`'s promise is settled (resolved or rejected): nothing more happens. */
  private ended = false;
  private pumping = false;
  /** A yield to the event loop is pending (see `schedule`). */
  private yielding = false;
  private turnStarts = 0;

  private readonly deadlines: DeadlineWatch<AttemptContext>;

  private resolve!: (plan: ExecutionPlan) => void;
  private reject!: (error: unknown) => void;
  private readonly signal: AbortSignal | undefined;
  private readonly onAbort = (): void => this.guard(() => this.cancel(cancellationOf(this.signal?.reason)));
  private readonly onDeadline = (ctx: AttemptContext): void => this.guard(() => this.timeOut(ctx));
  private readonly resultsOf = (index: number): Record<string, JsonValue> => this.dependencyResults(index);
  private readonly resultOf = (stepId: string): unknown => findStep(this.plan, stepId)?.result;

  constructor(
    private readonly plan: ExecutionPlan,
    private readonly tools: ToolRegistry,
    private readonly hooks: ExecutorOptions,
    clock: Clock,
    signal: AbortSignal | undefined,
    graph?: StepGraph,
  ) {
    this.clock = clock;
    this.signal = signal;
    this.steps = plan.steps;
    const n = (this.n = this.steps.length);
    this.state = new Uint8Array(n);
    this.remaining = new Int32Array(n);
    this.ready = new ReadyQueue(n, !plan.options.allowParallel);
    this.attempts = new Array<AttemptContext | undefined>(n);
    this.limit = plan.options.allowParallel ? plan.options.maxParallelSteps : 1;
    this.timeoutMs = plan.options.stepTimeoutMs;

    ({ depStart: this.depStart, depList: this.depList, outStart: this.outStart, outList: this.outList, withRefs: this.withRefs } = stepAdjacency(plan, graph));
    this.deadlines = new DeadlineWatch<AttemptContext>(clock, this.onDeadline);
  }

  /**
   * Starts the run and resolves with the plan once its terminal event is applied. `recover`
   * continues a plan that is already `executing` (after a crash) instead of starting a new run.
   */
  start(mode: "execute" | "recover", actor: string | undefined): Promise<ExecutionPlan> {
    const done = new Promise<ExecutionPlan>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.guard(() => {
      if (mode === "execute") this.emit({ type: "plan.started", at: this.clock.now(), ...(actor !== undefined ? { actor } : {}), data: { run: this.plan.run + 1 } });
      this.initialise(mode === "recover");
      if (this.finished) return;
      if (this.signal) {
        if (this.signal.aborted) return this.cancel(cancellationOf(this.signal.reason));
        this.signal.addEventListener("abort", this.onAbort, { once: true });
      }
      this.schedule();
    });
    return done;
  }

  private initialise(recover: boolean): void {
    const { steps, n, state, remaining } = this;
    const blocked: number[] = [];
    const interrupted: number[] = [];
    for (let i = 0; i < n; i++) {
      const status = steps[i]!.status;
      if (status === "completed") {
        state[i] = DONE;
        continue;
      }
      if (!recover || status === "pending") {
        state[i] = WAITING;
        this.unsettled++;
      } else if (status === "running") {
        state[i] = RUNNING;
        this.running++;
        this.unsettled++;
        interrupted.push(i);
      } else {
        state[i] = DONE;
        blocked.push(i);
        if (status === "failed") this.noteFailure(steps[i]!.id, steps[i]!.error ?? { code: "INTERRUPTED", message: "failed before a restart" });
      }
    }
    for (let i = 0; i < n; i++) {
      if (state[i] !== WAITING) continue;
      let count = 0;
      for (let k = this.depStart[i]!; k < this.depStart[i + 1]!; k++) if (steps[this.depList[k]!]!.status !== "completed") count++;
      remaining[i] = count;
    }
    if (this.failures > 0 && this.plan.options.stopOnError) return this.stop();
    for (const i of blocked) this.skipDependents(i, steps[i]!.status === "failed" ? "failed" : `was ${steps[i]!.status}`);
    for (const i of interrupted) {
      const step = steps[i]!;
      const attempt = Math.max(1, step.attempts);
      const error = { code: "INTERRUPTED", message: `step "${step.id}" was interrupted by a restart (attempt ${attempt})` };
      this.attemptFailed(new AttemptContext(this.plan, step, i, attempt, this.clock.now(), this.resultsOf), error, true);
      if (this.finished) return;
    }
    for (let i = 0; i < n; i++) {
      if (state[i] === WAITING && remaining[i] === 0) {
        state[i] = READY;
        this.ready.push(i);
      }
    }
  }

  /** Starts ready steps while there is room, then ends the run if nothing is left. */
  private schedule(): void {
    if (this.pumping || this.yielding) return; // the outer loop, or the turn after the yield, carries on
    this.pumping = true;
    try {
      while (!this.stopping && this.running < this.limit && this.ready.size > 0) {
        if (this.startsThisTurn() > STARTS_PER_TURN) {
          // Quick tools settle in microtasks, which never let the event loop serve anyone else:
          // after this many starts in one pass, the rest waits for the next pass.
          this.yielding = true;
          setImmediate(() =>
            this.guard(() => {
              this.yielding = false;
              this.schedule();
            }),
          );
          break;
        }
        const i = this.ready.pop();
        if (this.state[i] !== READY) continue;
        this.state[i] = RUNNING;
        this.running++;
        this.startAttempt(i, this.steps[i]!.attempts + 1);
      }
    } finally {
      this.pumping = false;
    }
    if (!this.finished && this.unsettled === 0) this.finish();
  }

  /** Counts a start in this pass of the event loop; the count restarts at the next pass. */
  private startsThisTurn(): number {
    if (this.turnStarts === 0) setImmediate(() => (this.turnStarts = 0));
    return ++this.turnStarts;
  }

  private startAttempt(i: number, attempt: number): void {
    const step = this.steps[i]!;
    const at = this.clock.now();
    const durable = this.emit({ type: "step.started", at, data: { stepId: step.id, attempt } }, step);
    if (this.state[i] !== RUNNING || this.stopping) return; // a callback stopped the run
    const ctx = new AttemptContext(this.plan, step, i, attempt, at + this.timeoutMs, this.resultsOf);
    this.attempts[i] = ctx;
    this.deadlines.watch(ctx);
    if (!durable) return this.invoke(ctx);
    // The tool runs only once its start is recorded: a crash can then never hide that it ran, and
    // the attempt number (the idempotency key) is never handed out twice.
    durable.then(
      () => this.guard(() => this.invoke(ctx)),
      (error: unknown) => this.crash(new PlanroomError("INTERNAL", `the start of step "${step.id}" could not be recorded: ${errorText(error)}`)),
    );
  }

  /** Calls the attempt's tool with its resolved params (unless the attempt is over already). */
  private invoke(ctx: AttemptContext): void {
    if (ctx.settled || this.state[ctx.index] !== RUNNING || this.stopping) return;
    const step = ctx.step;
    const i = ctx.index;
    const tool = lookupTool(this.tools, step.tool);
    if (!tool) return this.attemptFailed(ctx, { code: "UNKNOWN_TOOL", message: `unknown tool "${step.tool}" (step "${step.id}")` }, false);
    let params = step.params;
    if (this.withRefs === undefined || this.withRefs[i] === 1) {
      try {
        params = resolveRefs(params, this.resultOf);
      } catch (error) {
        return this.attemptFailed(ctx, { code: "VALIDATION", message: `step "${step.id}": ${(error as Error).message}` }, false);
      }
      // Resolved references share the results they name, so this is cheap to build; its size is
      // measured with a budget, never by writing it out.
      const max = this.hooks.maxParamsBytes;
      if (max !== undefined && jsonByteLength(params, max) > max) {
        return this.attemptFailed(ctx, { code: "PARAMS_TOO_LARGE", message: `step "${step.id}": its params hold more than ${max} bytes once their $refs are resolved` }, false);
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
          this.attemptSucceeded(ctx, value);
        } catch (error) {
          this.crash(error);
        }
      },
      (thrown: unknown) => {
        try {
          this.attemptFailed(ctx, toStepError(thrown), true);
        } catch (error) {
          this.crash(error);
        }
      },
    );
  }

  private attemptSucceeded(ctx: AttemptContext, value: unknown): void {
    if (ctx.settled || this.state[ctx.index] !== RUNNING) return;
    const result = value === undefined ? null : value;
    const problem = resultProblem(result);
    if (problem !== undefined) {
      return this.attemptFailed(ctx, { code: "TOOL_ERROR", message: `tool "${ctx.step.tool}" returned a result that is not JSON: ${problem}` }, true);
    }
    const max = this.hooks.maxResultBytes;
    if (max !== undefined && typeof result !== "boolean" && typeof result !== "number" && result !== null && jsonByteLength(result, max) > max) {
      return this.attemptFailed(ctx, { code: "RESULT_TOO_LARGE", message: `tool "${ctx.step.tool}" returned more than ${max} bytes (step "${ctx.step.id}"); results are capped at ${max} bytes` }, false);
    }
    ctx.settled = true;
    const i = ctx.index;
    const step = ctx.step;
    this.state[i] = DONE;
    this.running--;
    this.unsettled--;
    this.attempts[i] = undefined;
    const at = this.clock.now();
    const durable = this.emit({ type: "step.completed", at, data: { stepId: step.id, attempt: ctx.attempt, result: result as JsonValue, durationMs: Math.max(0, at - (step.startedAt ?? at)) } }, step);
    if (!durable) {
      this.release(i);
      return this.schedule();
    }
    // Its slot is free now; its dependents start once the completion (their input) is recorded.
    this.schedule();
    durable.then(
      () =>
        this.guard(() => {
          if (this.finished) return;
          this.release(i);
          this.schedule();
        }),
      (error: unknown) => this.crash(new PlanroomError("INTERNAL", `the completion of step "${step.id}" could not be recorded: ${errorText(error)}`)),
    );
  }

  /** Makes the dependents of completed step `i` whose dependencies are all completed ready. */
  private release(i: number): void {
    const { state, remaining, outList } = this;
    for (let k = this.outStart[i]!, end = this.outStart[i + 1]!; k < end; k++) {
      const d = outList[k]!;
      if (state[d] === WAITING && --remaining[d]! === 0) {
        state[d] = READY;
        this.ready.push(d);
      }
    }
  }

  private attemptFailed(ctx: AttemptContext, error: StepError, retryable: boolean): void {
    if (ctx.settled || this.state[ctx.index] !== RUNNING) return;
    ctx.settled = true;
    const i = ctx.index;
    const step = ctx.step;
    const policy = step.retry ?? this.plan.options.retry;
    // The policy counts the attempts of this run; earlier runs' attempts keep their numbers.
    const attemptOfRun = ctx.attempt - (step.priorAttempts ?? 0);
    if (retryable && !this.stopping && attemptOfRun < policy.maxAttempts) {
      const delayMs = backoffDelay(policy, attemptOfRun + 1);
      this.emit({ type: "step.retrying", at: this.clock.now(), data: { stepId: step.id, attempt: ctx.attempt, delayMs, error } }, step);
      if (this.state[i] === RUNNING && !this.stopping) this.retryLater(i, ctx.attempt + 1, delayMs);
      return;
    }
    this.state[i] = DONE;
    this.running--;
    this.unsettled--;
    this.attempts[i] = undefined;
    this.noteFailure(step.id, error);
    const at = this.clock.now();
    this.emit({ type: "step.failed", at, data: { stepId: step.id, attempt: ctx.attempt, error, durationMs: Math.max(0, at - (step.startedAt ?? at)) } }, step);
    if (this.plan.options.stopOnError) return this.stop();
    this.skipDependents(i, "failed");
    this.schedule();
  }

  private retryLater(i: number, attempt: number, delayMs: number): void {
    const fire = (): void =>
      this.guard(() => {
        this.backoff.delete(i);
        if (this.state[i] === RUNNING && !this.stopping) this.startAttempt(i, attempt);
      });
    if (delayMs <= 0) queueMicrotask(fire);
    else this.backoff.set(i, this.clock.setTimeout(fire, delayMs));
  }

  private noteFailure(stepId: string, error: StepError): void {
    this.failures++;
    this.firstFailure ??= { stepId, error };
  }

  /** Skips every step that (transitively) depends on step `root`, naming it in the reason. */
  private skipDependents(root: number, what: string): void {
    const rootId = this.steps[root]!.id;
    const stack = [root];
    while (stack.length > 0) {
      const j = stack.pop()!;
      for (let k = this.outStart[j]!, end = this.outStart[j + 1]!; k < end; k++) {
        const d = this.outList[k]!;
        if (this.state[d] !== WAITING) continue;
        this.state[d] = DONE;
        this.unsettled--;
        const reason = j === root ? `dependency "${rootId}" ${what}` : `dependency "${this.steps[j]!.id}" was skipped (step "${rootId}" ${what})`;
        this.emit({ type: "step.skipped", at: this.clock.now(), data: { stepId: this.steps[d]!.id, reason } }, this.steps[d]);
        stack.push(d);
      }
    }
  }

  private cancel(cancellation: Cancellation): void {
    if (this.finished || this.stopping) return;
    this.cancellation = cancellation;
    this.stop();
  }

  /** Stops the run: running steps are aborted and cancelled, pending ones skipped; then it ends. */
  private stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    const why = this.cancellation ? `plan cancelled: ${this.cancellation.reason}` : `stopped: step "${this.firstFailure?.stepId}" failed`;
    const abortReason = new PlanroomError("CANCELLED", why);
    for (let i = 0; i < this.n; i++) {
      const s = this.state[i];
      if (s === RUNNING) {
        this.state[i] = DONE;
        this.running--;
        this.unsettled--;
        const ctx = this.attempts[i];
        this.attempts[i] = undefined;
        if (ctx) {
          ctx.settled = true;
          ctx.abort(abortReason);
        }
        const timer = this.backoff.get(i);
        if (timer !== undefined) this.clock.clearTimeout(timer);
        this.backoff.delete(i);
        this.emit({ type: "step.cancelled", at: this.clock.now(), data: { stepId: this.steps[i]!.id, reason: why } }, this.steps[i]);
      } else if (s === WAITING || s === READY) {
        this.state[i] = DONE;
        this.unsettled--;
        this.emit({ type: "step.skipped", at: this.clock.now(), data: { stepId: this.steps[i]!.id, reason: this.cancellation ? why : `not run: step "${this.firstFailure?.stepId}" failed` } }, this.steps[i]);
      }
    }
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.cleanUp();
    const at = this.clock.now();
    const durationMs = Math.max(0, at - (this.plan.startedAt ?? at));
    const c = this.cancellation;
    if (c) {
      this.emit({ type: "plan.cancelled", at, ...(c.by !== undefined ? { actor: c.by } : {}), data: { reason: c.reason, durationMs } });
    } else if (this.firstFailure) {
      const { stepId, error } = this.firstFailure;
      const others = this.failures > 1 ? ` (and ${this.failures - 1} more failed step${this.failures > 2 ? "s" : ""})` : "";
      this.emit({ type: "plan.failed", at, data: { error: { code: error.code, message: `step "${stepId}" failed: ${error.message}${others}`.slice(0, 10_000) }, durationMs } });
    } else {
      this.emit({ type: "plan.completed", at, data: { durationMs } });
    }
    this.ended = true;
    this.resolve(this.plan);
  }

  private cleanUp(): void {
    this.deadlines.stop();
    for (const timer of this.backoff.values()) this.clock.clearTimeout(timer);
    this.backoff.clear();
    this.signal?.removeEventListener("abort", this.onAbort);
  }

  private timeOut(ctx: AttemptContext): void {
    const message = `step "${ctx.step.id}" timed out after ${this.timeoutMs}ms (attempt ${ctx.attempt})`;
    ctx.abort(new PlanroomError("TIMEOUT", message));
    this.attemptFailed(ctx, { code: "TIMEOUT", message }, true);
  }

  private dependencyResults(i: number): Record<string, JsonValue> {
    const out = Object.create(null) as Record<string, JsonValue>;
    for (let k = this.depStart[i]!; k < this.depStart[i + 1]!; k++) {
      const dep = this.steps[this.depList[k]!]!;
      out[dep.id] = dep.result ?? null;
    }
    return out;
  }

  /** Publishes an event; returns the hooks' promise that it is recorded, if they gave one. */
  private emit(event: PlanEventBody, step?: Step): Promise<unknown> | undefined {
    return publishEvent(this.plan, event, this.hooks, step);
  }

  /** Runs `fn`; an unexpected throw ends the run as failed (`INTERNAL`) instead of escaping. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.crash(error);
    }
  }

  /**
   * The fault path: an unexpected throw (e.g. an event refused because the plan was changed behind
   * the executor's back). Like a stop: every attempt is aborted, running steps are cancelled and
   * pending ones skipped, naming the internal error; then the plan fails with `INTERNAL`. Each of
   * those events is tried on its own, so one refused event does not keep the others from being
   * recorded. If even `plan.failed` is refused, `start`'s promise rejects (`INTERNAL`) with the
   * plan as those events left it; either way it settles.
   */
  private crash(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.finished = true;
    this.stopping = true;
    const detail = (error instanceof Error ? error.message : String(error)).slice(0, 2_000);
    const why = `the run stopped on an internal error: ${detail}`;
    try {
      this.cleanUp();
    } catch {
      // timers of a broken clock: nothing more to clear
    }
    const abortReason = new PlanroomError("INTERNAL", why);
    for (let i = 0; i < this.n; i++) {
      const ctx = this.attempts[i];
      this.attempts[i] = undefined;
      this.state[i] = DONE;
      if (!ctx) continue;
      ctx.settled = true;
      try {
        ctx.abort(abortReason);
      } catch {
        // a throwing abort listener does not stop the others
      }
    }
    this.running = 0;
    this.unsettled = 0;
    // By the steps' own status (the scheduling state may be partial, e.g. a fault during start).
    for (const step of this.steps) {
      if (step.status === "running") this.tryEmit({ type: "step.cancelled", at: this.safeNow(), data: { stepId: step.id, reason: why } }, step);
      else if (step.status === "pending") this.tryEmit({ type: "step.skipped", at: this.safeNow(), data: { stepId: step.id, reason: `not run: ${why}` } }, step);
    }
    const at = this.safeNow();
    const message = `internal error: ${detail}`;
    if (this.tryEmit({ type: "plan.failed", at, data: { error: { code: "INTERNAL", message }, durationMs: Math.max(0, at - (this.plan.startedAt ?? at)) } })) {
      this.resolve(this.plan);
    } else {
      this.reject(error instanceof PlanroomError && error.code === "INTERNAL" ? error : new PlanroomError("INTERNAL", why));
    }
  }

  /** The clock's time, or the system's when the clock itself is what failed. */
  private safeNow(): number {
    try {
      return this.clock.now();
    } catch {
      return Date.now();
    }
  }

  /** Emits an event of the fault path; false when it is refused. */
  private tryEmit(event: PlanEventBody, step?: Step): boolean {
    try {
      this.emit(event, step);
      return true;
    } catch {
      return false;
    }
  }
}
