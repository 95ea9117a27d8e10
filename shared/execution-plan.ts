import { customAlphabet } from "nanoid";
import { applyPlanEvent, findStep, stepPositions } from "./apply-event.js";
import { PlanroomError, toIssues } from "./errors.js";
import { parseInputOrThrow } from "./parse-input.js";
import type { PlanEventBody } from "./events.js";
import { ExecutionOptionsSchema, type ExecutionOptions, type ExecutionOptionsInput } from "./execution-options.js";
import { assertTransition, FINISHED_PLAN_STATUSES, type PlanStatus } from "./lifecycle.js";
import type { JsonValue } from "./json.js";
import { PlanInputSchema, PlanSchema, type PlanCancellationSchema, type PlanData, type PlanDecision, type PlanInput } from "./plan.js";
import type { RetryPolicyInput } from "./retry-policy.js";
import { RetryPolicySchema } from "./retry-policy.js";
import type { Step, StepError } from "./step.js";
import { StepIdSchema } from "./step.js";
import { assertValidSteps, validateSteps, type ValidateStepsOptions } from "./validate-plan.js";
import type { Issue } from "./errors.js";
import type { z } from "zod";

/**
 * New plan ids: 14 letters and digits (~83 bits). No `-` or `_`, so an id never looks like a
 * command-line option and survives a double-click selection.
 */
export const newPlanId: () => string = customAlphabet("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 14);

/** Construction options of an {@link ExecutionPlan}. */
export interface ExecutionPlanInit {
  id?: string;
  options?: ExecutionOptionsInput;
  /** Milliseconds since the epoch; injectable for tests. */
  clock?: () => number;
}

/** Extra fields of {@link ExecutionPlan.addStep}. */
export interface AddStepOptions {
  id?: string;
  dependsOn?: string[];
  retry?: RetryPolicyInput;
}

/**
 * A plan of tool calls with dependencies, following the seed's `ExecutionPlan`: build it with
 * `addStep`, show it with `formatPlan`, approve it, run it with an `Executor`.
 *
 * Every state change after submission goes through {@link ExecutionPlan.apply} (the shared event
 * fold), so a plan changed in-process and a plan kept up to date from the wire end up the same.
 */
export class ExecutionPlan implements PlanData {
  id: string;
  version = 1;
  description: string;
  status: PlanStatus = "draft";
  options: ExecutionOptions;
  steps: Step[] = [];
  createdAt: number;
  updatedAt: number;
  run = 0;
  decision?: PlanDecision;
  cancellation?: z.infer<typeof PlanCancellationSchema>;
  error?: StepError;
  startedAt?: number;
  finishedAt?: number;

  /** The clock every timestamp of this plan comes from. */
  readonly clock: () => number;

  constructor(description: string, init: ExecutionPlanInit = {}) {
    this.clock = init.clock ?? Date.now;
    Object.defineProperty(this, "clock", { enumerable: false });
    this.id = init.id ?? newPlanId();
    this.description = description;
    this.options = parseInputOrThrow(ExecutionOptionsSchema, init.options ?? {}, "execution options");
    this.createdAt = this.updatedAt = this.clock();
  }

  /**
   * Appends a step calling `tool` with `params` and returns it. The returned object is the live
   * step: it stays the one in `steps` and shows results as the plan runs.
   */
  addStep(tool: string, description: string, params: Record<string, JsonValue> = {}, extra: AddStepOptions = {}): Step {
    if (this.status !== "draft") throw new PlanroomError("INVALID_STATE", `steps can be added only to a draft plan, not a ${this.status} one`);
    let id = extra.id;
    if (id === undefined) {
      let n = this.steps.length + 1;
      while (findStep(this, `step-${n}`)) n++;
      id = `step-${n}`;
    } else {
      const parsed = StepIdSchema.safeParse(id);
      if (!parsed.success) throw new PlanroomError("VALIDATION", `invalid step id "${id}": ${parsed.error.issues[0]?.message}`, toIssues(parsed.error.issues));
      if (findStep(this, id)) throw new PlanroomError("VALIDATION", `duplicate step id "${id}"`);
    }
    const step: Step = {
      id,
      tool,
      description,
      params,
      dependsOn: extra.dependsOn ?? [],
      status: "pending",
      attempts: 0,
      ...(extra.retry ? { retry: parseInputOrThrow(RetryPolicySchema, extra.retry, `retry policy of step "${id}"`) } : {}),
    };
    this.steps.push(step);
    this.updatedAt = this.clock();
    return step;
  }

  /** The step with this id, if any. */
  getStep(id: string): Step | undefined {
    return findStep(this, id);
  }

  /** Every structural problem of the plan (see `validateSteps`); empty when it may run. */
  validate(options: ValidateStepsOptions = {}): Issue[] {
    const issues = validateSteps(this.steps, { positions: stepPositions(this), ...options });
    if (this.description.trim() === "") issues.unshift({ path: ["description"], code: "empty", message: "description is empty" });
    return issues;
  }

  /** Throws a `VALIDATION` error listing every problem, if there is any. */
  assertValid(options: ValidateStepsOptions = {}): void {
    if (this.description.trim() === "") throw new PlanroomError("VALIDATION", "invalid plan: description is empty", [{ path: ["description"], message: "description is empty" }]);
    assertValidSteps(this.steps, { positions: stepPositions(this), ...options });
  }

  /**
   * Applies an event through the shared fold (the only way the plan's state changes). `step`, for a
   * step event, may be the live step it names, to save the lookup.
   */
  apply(event: PlanEventBody, step?: Step): this {
    return applyPlanEvent(this, event, step);
  }

  /** Validates the plan and asks for approval: draft → pending_approval. */
  submitForApproval(): this {
    this.assertValid();
    assertTransition(this.status, "pending_approval");
    this.status = "pending_approval";
    this.updatedAt = this.clock();
    return this;
  }

  /** Whether the plan has been approved (and not reopened for a new approval since). */
  isApproved(): boolean {
    return this.decision?.outcome === "approved";
  }

  /** Approves the plan (a draft is validated and submitted first). */
  approve(by: string): this {
    if (this.status === "draft") this.submitForApproval();
    return this.apply({ type: "plan.approved", at: this.clock(), actor: by, data: { by: [by] } });
  }

  /** Rejects the plan (a draft is validated and submitted first). */
  reject(by: string, reason?: string): this {
    if (this.status === "draft") this.submitForApproval();
    return this.apply({ type: "plan.rejected", at: this.clock(), actor: by, data: { by: [by], ...(reason !== undefined ? { reason } : {}) } });
  }

  /**
   * Cancels a plan that is not executing (to cancel a running plan, abort the executor's signal).
   */
  cancel(reason = "cancelled", by?: string): this {
    if (this.status === "executing") throw new PlanroomError("INVALID_STATE", "an executing plan is cancelled through the executor's signal");
    return this.apply({ type: "plan.cancelled", at: this.clock(), ...(by !== undefined ? { actor: by } : {}), data: { reason } });
  }

  /**
   * Reopens a failed or cancelled plan for another run: its failed, skipped and cancelled steps go
   * back to pending; completed steps keep their results. It then needs approval again when
   * `requireApproval` is set (unless `autoApprove`).
   */
  reopen(): this {
    return this.apply(reopenedEvent(this, this.clock()));
  }

  /** Whether the current run is over (completed, failed, cancelled, rejected or expired). */
  isFinished(): boolean {
    return FINISHED_PLAN_STATUSES.has(this.status);
  }

  /** The plan's data, plain and JSON-safe. */
  toJSON(): PlanData {
    const data: PlanData = {
      id: this.id,
      version: this.version,
      description: this.description,
      status: this.status,
      options: this.options,
      steps: this.steps,
      createdAt: this.createdAt,
      updatedAt: this.updatedAt,
      run: this.run,
    };
    if (this.decision) data.decision = this.decision;
    if (this.cancellation) data.cancellation = this.cancellation;
    if (this.error) data.error = this.error;
    if (this.startedAt !== undefined) data.startedAt = this.startedAt;
    if (this.finishedAt !== undefined) data.finishedAt = this.finishedAt;
    return structuredClone(data);
  }

  /** Rebuilds a plan from `toJSON` output (or its JSON text), validated. */
  static fromJSON(json: unknown, init: Pick<ExecutionPlanInit, "clock"> = {}): ExecutionPlan {
    const raw = typeof json === "string" ? parseJsonText(json) : json;
    const data = parseInputOrThrow(PlanSchema, raw, "plan JSON");
    const plan = new ExecutionPlan(data.description, { id: data.id, options: data.options, ...init });
    Object.assign(plan, data);
    return plan;
  }

  /**
   * Builds a draft plan from author input (`{ description, options, steps }`), validated once with
   * `validate` (e.g. `{ hasTool }`, so that a caller checking tools need not validate again).
   */
  static fromInput(input: unknown, init: Omit<ExecutionPlanInit, "options"> = {}, validate: ValidateStepsOptions = {}): ExecutionPlan {
    const { description, options, steps } = parseInputOrThrow(PlanInputSchema, input, "plan");
    const plan = new ExecutionPlan(description, { ...init, options });
    for (const s of steps) {
      plan.addStep(s.tool, s.description, s.params, { dependsOn: s.dependsOn, ...(s.id !== undefined ? { id: s.id } : {}), ...(s.retry ? { retry: s.retry } : {}) });
    }
    plan.assertValid(validate);
    return plan;
  }
}

/**
 * The `plan.reopened` event that reopens a failed or cancelled plan (see `ExecutionPlan.reopen`),
 * for callers that must also publish the event; throws `INVALID_STATE` for any other plan.
 */
export function reopenedEvent(plan: PlanData, at: number): Extract<PlanEventBody, { type: "plan.reopened" }> {
  if (plan.status !== "failed" && plan.status !== "cancelled") throw new PlanroomError("INVALID_STATE", `only a failed or cancelled plan can be reopened, not a ${plan.status} one`);
  const resetSteps = plan.steps.filter((s) => s.status !== "completed").map((s) => s.id);
  const status = plan.options.requireApproval && !plan.options.autoApprove ? "pending_approval" : "approved";
  return { type: "plan.reopened", at, data: { status, resetSteps } };
}

function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new PlanroomError("VALIDATION", `plan JSON does not parse: ${(e as Error).message}`);
  }
}

export type { PlanInput };
