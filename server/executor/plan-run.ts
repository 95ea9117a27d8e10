import { PlanroomError, type ExecutionPlan, type PlanEventBody, type Step, type StepError, type StepGraph } from "../../shared/index.js";
import type { Clock } from "../runtime/clock.js";
import { applyAndNotify } from "./apply-and-notify.js";
import { AttemptLifecycle, type AttemptHost } from "./attempt-lifecycle.js";
import { cancellationOf, type Cancellation } from "./cancellation.js";
import type { ExecutorOptions } from "./executor-options.js";
import { RunOutcome } from "./run-outcome.js";
import { DONE, READY, RUNNING, StepTable, WAITING } from "./step-table.js";
import type { ToolRegistry } from "./tool-registry.js";

/** Attempts started in one pass of the event loop before the run lets others in (see `schedule`). */
const STARTS_PER_TURN = 500;

/**
 * One run of a plan: true DAG scheduling over precomputed indegrees and dependents (a step starts
 * as soon as its own dependencies completed; `StepTable`), attempts with retries and timeouts
 * (`AttemptLifecycle`), stop-on-error, cancellation, and the fault path. Every change goes through
 * `applyAndNotify`.
 */
export class PlanRun implements AttemptHost {
  readonly table: StepTable;
  private readonly attempts: AttemptLifecycle;
  private readonly outcome = new RunOutcome();
  private readonly limit: number;

  stopping = false;
  finished = false;
  /** `start`'s promise is settled (resolved or rejected): nothing more happens. */
  private ended = false;
  private pumping = false;
  /** A yield to the event loop is pending (see `schedule`). */
  private yielding = false;
  private turnStarts = 0;

  private resolve!: (plan: ExecutionPlan) => void;
  private reject!: (error: unknown) => void;
  private readonly onAbort = (): void => this.guard(() => this.cancel(cancellationOf(this.signal?.reason)));

  constructor(
    readonly plan: ExecutionPlan,
    tools: ToolRegistry,
    private readonly hooks: ExecutorOptions,
    private readonly clock: Clock,
    private readonly signal: AbortSignal | undefined,
    graph?: StepGraph,
  ) {
    this.table = new StepTable(plan, graph);
    this.limit = plan.options.allowParallel ? plan.options.maxParallelSteps : 1;
    this.attempts = new AttemptLifecycle(this, tools, hooks, clock);
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
      if (mode === "execute") void this.emit({ type: "plan.started", at: this.clock.now(), ...(actor !== undefined ? { actor } : {}), data: { run: this.plan.run + 1 } });
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
    const { steps } = this.table;
    const { ended, interrupted } = this.table.load(recover);
    for (const i of ended) {
      if (steps[i]!.status === "failed") this.noteFailure(steps[i]!.id, steps[i]!.error ?? { code: "INTERRUPTED", message: "failed before a restart" });
    }
    if (this.outcome.failures > 0 && this.plan.options.stopOnError) return this.stop();
    for (const i of ended) this.skipDependents(i, steps[i]!.status === "failed" ? "failed" : `was ${steps[i]!.status}`);
    for (const i of interrupted) {
      this.attempts.interrupted(i);
      if (this.finished) return;
    }
    this.table.readyUnblocked();
  }

  /** Starts ready steps while there is room, then ends the run if nothing is left. */
  schedule(): void {
    if (this.pumping || this.yielding) return; // the outer loop, or the turn after the yield, carries on
    this.pumping = true;
    const { table } = this;
    try {
      while (!this.stopping && table.running < this.limit && table.ready.size > 0) {
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
        const i = table.claimNext();
        if (i < 0) continue;
        this.attempts.start(i, table.steps[i]!.attempts + 1);
      }
    } finally {
      this.pumping = false;
    }
    if (!this.finished && table.unsettled === 0) this.finish();
  }

  /** Counts a start in this pass of the event loop; the count restarts at the next pass. */
  private startsThisTurn(): number {
    if (this.turnStarts === 0) setImmediate(() => (this.turnStarts = 0));
    return ++this.turnStarts;
  }

  noteFailure(stepId: string, error: StepError): void {
    this.outcome.noteFailure(stepId, error);
  }

  stepFailed(i: number): void {
    if (this.plan.options.stopOnError) return this.stop();
    this.skipDependents(i, "failed");
    this.schedule();
  }

  /** Skips every step that (transitively) depends on step `root`, naming it in the reason. */
  private skipDependents(root: number, what: string): void {
    const { steps } = this.table;
    const rootId = steps[root]!.id;
    this.table.skipDependents(root, (d, via) => {
      const reason = via === root ? `dependency "${rootId}" ${what}` : `dependency "${steps[via]!.id}" was skipped (step "${rootId}" ${what})`;
      void this.emit({ type: "step.skipped", at: this.clock.now(), data: { stepId: steps[d]!.id, reason } }, steps[d]);
    });
  }

  private cancel(cancellation: Cancellation): void {
    if (this.finished || this.stopping) return;
    this.outcome.cancellation = cancellation;
    this.stop();
  }

  /** Stops the run: running steps are aborted and cancelled, pending ones skipped; then it ends. */
  private stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    const { table } = this;
    const { steps, state } = table;
    const why = this.outcome.stopReason();
    const abortReason = new PlanroomError("CANCELLED", why);
    for (let i = 0; i < table.n; i++) {
      const s = state[i];
      if (s === RUNNING) {
        table.settle(i);
        this.attempts.abandon(i, abortReason);
        void this.emit({ type: "step.cancelled", at: this.clock.now(), data: { stepId: steps[i]!.id, reason: why } }, steps[i]);
      } else if (s === WAITING || s === READY) {
        state[i] = DONE;
        table.unsettled--;
        void this.emit({ type: "step.skipped", at: this.clock.now(), data: { stepId: steps[i]!.id, reason: this.outcome.skipReason(why) } }, steps[i]);
      }
    }
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.cleanUp();
    const at = this.clock.now();
    void this.emit(this.outcome.terminalEvent(at, Math.max(0, at - (this.plan.startedAt ?? at))));
    this.ended = true;
    this.resolve(this.plan);
  }

  private cleanUp(): void {
    this.attempts.stopTimers();
    this.signal?.removeEventListener("abort", this.onAbort);
  }

  /** Applies and publishes an event; returns the hooks' promise that it is recorded, if they gave one. */
  emit(event: PlanEventBody, step?: Step): Promise<unknown> | undefined {
    return applyAndNotify(this.plan, event, this.hooks, step);
  }

  /** Runs `fn`; an unexpected throw ends the run as failed (`INTERNAL`) instead of escaping. */
  guard(fn: () => void): void {
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
  crash(error: unknown): void {
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
    const { table } = this;
    table.state.fill(DONE);
    this.attempts.abortAll(new PlanroomError("INTERNAL", why));
    table.running = 0;
    table.unsettled = 0;
    // By the steps' own status (the scheduling state may be partial, e.g. a fault during start).
    for (const step of table.steps) {
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
      void this.emit(event, step);
      return true;
    } catch {
      return false;
    }
  }
}
