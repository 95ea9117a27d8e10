import { ExecutionPlan, type ExecutionOptionsInput, type JsonValue, type PlanEventBody, type RetryPolicyInput } from "../../../shared/index.js";
import type { ExecutorOptions, ToolContext, ToolHandler } from "../../../server/executor/executor.js";

/** A promise with its resolve/reject in hand. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** Makes a {@link Deferred}. */
export function deferred<T = unknown>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** One step of {@link makePlan}: `[id, dependsOn?, params?, tool?, retry?]` in object form. */
export interface StepSpec {
  id: string;
  after?: string[];
  params?: Record<string, JsonValue>;
  tool?: string;
  retry?: RetryPolicyInput;
}

/** A plan of the given steps (tool `work` unless given), approved unless `approved: false`. */
export function makePlan(steps: StepSpec[], options: ExecutionOptionsInput = {}, approved = true): ExecutionPlan {
  const plan = new ExecutionPlan("test plan", { id: "p1", options: { stepTimeoutMs: 60_000, ...options } });
  for (const s of steps) plan.addStep(s.tool ?? "work", `do ${s.id}`, s.params ?? {}, { id: s.id, dependsOn: s.after ?? [], ...(s.retry ? { retry: s.retry } : {}) });
  if (approved) plan.approve("alice");
  return plan;
}

/** A tool whose calls wait until the test settles them, by step id. */
export class Gate {
  readonly calls: { stepId: string; ctx: ToolContext; params: Record<string, JsonValue>; done: Deferred<unknown> }[] = [];
  /** Step ids of the attempts running now (called, not yet settled by the test). */
  readonly running = new Set<string>();
  maxRunning = 0;

  readonly tool: ToolHandler = (params, ctx) => {
    const done = deferred<unknown>();
    this.calls.push({ stepId: ctx.step.id, ctx, params, done });
    this.running.add(ctx.step.id);
    this.maxRunning = Math.max(this.maxRunning, this.running.size);
    return done.promise;
  };

  /** Ids of the steps called so far, in call order. */
  get started(): string[] {
    return this.calls.map((c) => c.stepId);
  }

  private last(stepId: string) {
    const call = this.calls.filter((c) => c.stepId === stepId).at(-1);
    if (!call) throw new Error(`step ${stepId} was not called`);
    return call;
  }

  /** Completes the latest attempt of `stepId` with `value`. */
  resolve(stepId: string, value: unknown = null): void {
    this.running.delete(stepId);
    this.last(stepId).done.resolve(value);
  }

  /** Fails the latest attempt of `stepId`. */
  reject(stepId: string, error: unknown = new Error(`${stepId} broke`)): void {
    this.running.delete(stepId);
    this.last(stepId).done.reject(error);
  }

  /** The context of the latest attempt of `stepId`. */
  ctx(stepId: string): ToolContext {
    return this.last(stepId).ctx;
  }
}

/** Records every event and every callback, in the order they happen. */
export function recorder(): { log: string[]; events: PlanEventBody[]; hooks: ExecutorOptions } {
  const log: string[] = [];
  const events: PlanEventBody[] = [];
  const hooks: ExecutorOptions = {
    onEvent: (event, plan) => {
      events.push(structuredClone(event));
      const stepId = "stepId" in event.data ? ` ${String(event.data.stepId)}` : "";
      log.push(`event ${event.type}${stepId} (plan ${plan.status})`);
    },
    onPlanStart: () => log.push("planStart"),
    onStepStart: (_p, s) => log.push(`start ${s.id}`),
    onStepComplete: (_p, s) => log.push(`complete ${s.id}`),
    onStepFailed: (_p, s, e) => log.push(`failed ${s.id} ${e.code}`),
    onStepRetry: (_p, s, e, delay) => log.push(`retry ${s.id} ${e.code} ${delay}`),
    onStepSkipped: (_p, s) => log.push(`skipped ${s.id}`),
    onStepCancelled: (_p, s) => log.push(`cancelled ${s.id}`),
    onPlanComplete: (p) => log.push(`planComplete ${p.status}`),
  };
  return { log, events, hooks };
}

/** Only the callback lines of a recorder log (events left out). */
export function callbacks(log: string[]): string[] {
  return log.filter((line) => !line.startsWith("event "));
}
