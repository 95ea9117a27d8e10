import type { ApprovalPolicy, Vote } from "./approval-policy.js";
import { LifecycleError, PlanroomError } from "./errors.js";
import type { PlanEvent, PlanEventBody } from "./events.js";
import { assertTransition, type PlanStatus } from "./lifecycle.js";
import type { PlanData } from "./plan.js";
import type { Step } from "./step.js";

/** A plan room's state: what a fold over its events yields. */
export interface PlanState {
  plan: PlanData;
  policy: ApprovalPolicy;
  votes: Vote[];
  submittedBy: { id: string; name: string };
  tools: string[];
  autoExecute: boolean;
  /**
   * When the current approval request was opened: the time of `plan.submitted`, of the last
   * `plan.revised`, or of the last `plan.reopened` back to approval. An expiring policy counts its
   * `expiresInMs` from here.
   */
  requestedAt: number;
  /** The `seq` of the last event applied. */
  seq: number;
}

/** A plan's step index: position by id, over the first `length` steps of one `steps` array. */
interface StepIndex {
  positions: Map<string, number>;
  length: number;
}

/** Step indexes by steps array; a replaced array gets a new index. */
const stepIndexes = new WeakMap<Step[], StepIndex>();

function buildIndex(steps: Step[]): StepIndex {
  const index: StepIndex = { positions: new Map(), length: 0 };
  stepIndexes.set(steps, index);
  return index;
}

function caughtUpIndex(steps: Step[]): StepIndex {
  let index = stepIndexes.get(steps) ?? buildIndex(steps);
  if (steps.length < index.length) index = buildIndex(steps);
  for (let i = index.length; i < steps.length; i++) index.positions.set(steps[i]!.id, i);
  index.length = steps.length;
  return index;
}

/**
 * The id → position index behind {@link stepIndexOf}, caught up with appended steps. It is a hint:
 * after duplicates or changes in place it may not match `plan.steps` (check before relying on it).
 */
export function stepPositions(plan: Pick<PlanData, "steps">): ReadonlyMap<string, number> {
  return caughtUpIndex(plan.steps).positions;
}

/**
 * The position of the step with this id in `plan.steps`, or -1, in O(1) amortised. The index
 * follows the plan's `steps` array: appended steps are indexed as they appear (so building a plan
 * step by step stays linear), a shorter array or a step found out of place rebuilds it.
 */
export function stepIndexOf(plan: Pick<PlanData, "steps">, id: string): number {
  const steps = plan.steps;
  let index = caughtUpIndex(steps);
  const position = index.positions.get(id);
  if (position === undefined) return -1;
  if (steps[position]?.id === id) return position;
  // The array was changed in place: index it afresh.
  index = buildIndex(steps);
  for (let i = 0; i < steps.length; i++) index.positions.set(steps[i]!.id, i);
  index.length = steps.length;
  return index.positions.get(id) ?? -1;
}

/** Finds a step by id in O(1) amortised (see {@link stepIndexOf}). */
export function findStep(plan: Pick<PlanData, "steps">, id: string): Step | undefined {
  const position = stepIndexOf(plan, id);
  return position < 0 ? undefined : plan.steps[position];
}

function stepOf(plan: PlanData, id: string, hint?: Step): Step {
  if (hint !== undefined && hint.id === id) return hint;
  const step = findStep(plan, id);
  if (!step) throw new PlanroomError("NOT_FOUND", `plan ${plan.id} has no step "${id}"`);
  return step;
}

function moveTo(plan: PlanData, to: PlanStatus): void {
  assertTransition(plan.status, to);
  plan.status = to;
}

/**
 * Applies one event to a plan's data, in place, and returns the plan. The one place where an event
 * changes a plan: the model's methods, the executor, the server and every client use it, so all of
 * them agree. Throws (without changing anything) when the event is illegal in the plan's state.
 * `hint` may be the plan's step that a step event names, when the caller holds it already: it
 * saves looking the step up by id (a step with another id is ignored and looked up as usual).
 */
export function applyPlanEvent<P extends PlanData>(plan: P, event: PlanEventBody, hint?: Step): P {
  const { at } = event;
  if (event.type.startsWith("step.") && plan.status !== "executing") {
    throw new PlanroomError("INVALID_STATE", `plan ${plan.id} is ${plan.status}, not executing: ${event.type} refused`);
  }
  switch (event.type) {
    case "plan.submitted":
      if (plan.status === "draft") moveTo(plan, "pending_approval");
      break;
    case "plan.revised": {
      if (plan.status !== "pending_approval" && plan.status !== "draft") throw new PlanroomError("INVALID_STATE", `plan ${plan.id} can be revised only while pending approval, not ${plan.status}`);
      const next = event.data.plan;
      plan.version = next.version;
      plan.description = next.description;
      plan.options = structuredClone(next.options);
      plan.steps = structuredClone(next.steps);
      break;
    }
    case "vote.cast":
      break;
    case "plan.approved":
      // failed/cancelled → approved is a reopen (plan.reopened), never an approval.
      if (plan.status !== "draft" && plan.status !== "pending_approval") throw new LifecycleError(plan.status, "approved");
      moveTo(plan, "approved");
      plan.decision = { outcome: "approved", by: event.data.by, at };
      break;
    case "plan.rejected":
      moveTo(plan, "rejected");
      plan.decision = { outcome: "rejected", by: event.data.by, at, ...(event.data.reason !== undefined ? { reason: event.data.reason } : {}) };
      break;
    case "plan.expired":
      moveTo(plan, "expired");
      plan.decision = { outcome: "expired", by: [], at };
      break;
    case "plan.reopened":
      moveTo(plan, event.data.status);
      for (const id of event.data.resetSteps) {
        const step = stepOf(plan, id);
        step.status = "pending";
        // Attempts keep counting, so a resumed run never reuses an attempt's idempotency key.
        step.priorAttempts = step.attempts;
        delete step.result;
        if ("error" in step) delete step.error;
        delete step.reason;
        delete step.waiting;
        delete step.startedAt;
        delete step.completedAt;
        delete step.durationMs;
      }
      delete plan.error;
      delete plan.cancellation;
      delete plan.finishedAt;
      if (event.data.status === "pending_approval") delete plan.decision;
      break;
    case "plan.started":
      moveTo(plan, "executing");
      plan.run = event.data.run;
      plan.startedAt = at;
      delete plan.finishedAt;
      break;
    case "step.started": {
      const step = stepOf(plan, event.data.stepId, hint);
      step.status = "running";
      step.attempts = event.data.attempt;
      if (event.data.attempt === 1 || step.startedAt === undefined) step.startedAt = at;
      if ("error" in step) delete step.error;
      delete step.waiting;
      break;
    }
    case "step.waiting": {
      const step = stepOf(plan, event.data.stepId, hint);
      if (step.status !== "running") throw new PlanroomError("INVALID_STATE", `step "${step.id}" is ${step.status}, not running: step.waiting refused`);
      step.waiting = { reason: event.data.reason, tool: event.data.tool, since: at };
      break;
    }
    case "step.resumed": {
      const step = stepOf(plan, event.data.stepId, hint);
      delete step.waiting;
      break;
    }
    case "step.retrying": {
      const step = stepOf(plan, event.data.stepId, hint);
      step.error = event.data.error;
      delete step.waiting;
      break;
    }
    case "step.completed": {
      const step = stepOf(plan, event.data.stepId, hint);
      step.status = "completed";
      step.attempts = event.data.attempt;
      step.result = event.data.result;
      step.completedAt = at;
      step.durationMs = event.data.durationMs;
      if ("error" in step) delete step.error;
      delete step.waiting;
      break;
    }
    case "step.failed": {
      const step = stepOf(plan, event.data.stepId, hint);
      step.status = "failed";
      step.attempts = Math.max(step.attempts, event.data.attempt);
      step.error = event.data.error;
      step.completedAt = at;
      if (event.data.durationMs !== undefined) step.durationMs = event.data.durationMs;
      delete step.waiting;
      break;
    }
    case "step.skipped": {
      const step = stepOf(plan, event.data.stepId, hint);
      step.status = "skipped";
      step.reason = event.data.reason;
      break;
    }
    case "step.cancelled": {
      const step = stepOf(plan, event.data.stepId, hint);
      step.status = "cancelled";
      step.reason = event.data.reason;
      delete step.waiting;
      step.completedAt = at;
      if (step.startedAt !== undefined) step.durationMs = at - step.startedAt;
      break;
    }
    case "plan.completed":
      moveTo(plan, "completed");
      plan.finishedAt = at;
      break;
    case "plan.failed":
      moveTo(plan, "failed");
      plan.error = event.data.error;
      plan.finishedAt = at;
      break;
    case "plan.cancelled":
      moveTo(plan, "cancelled");
      plan.cancellation = { reason: event.data.reason, at, ...(event.actor !== undefined ? { by: event.actor } : {}) };
      plan.finishedAt = at;
      break;
  }
  plan.updatedAt = at;
  return plan;
}

/**
 * Applies a logged event to a room's state, in place, and returns the state. `plan.submitted`
 * creates the state (pass `undefined`). An event already applied (`seq` not above the state's) is
 * ignored; a gap in `seq` throws a `CONFLICT` error so that the caller can fetch what it missed.
 */
export function applyEvent(state: PlanState | undefined, event: PlanEvent): PlanState {
  if (event.type === "plan.submitted") {
    if (state && event.seq <= state.seq) return state;
    const { plan, policy, submittedBy, tools, autoExecute } = event.data;
    return { plan: structuredClone(plan), policy, votes: [], submittedBy, tools, autoExecute, requestedAt: event.at, seq: event.seq };
  }
  if (!state) throw new PlanroomError("CONFLICT", `event ${event.seq} of plan ${event.planId} arrived before the plan was known`);
  if (event.seq <= state.seq) return state;
  if (event.seq !== state.seq + 1) throw new PlanroomError("CONFLICT", `plan ${event.planId}: expected event ${state.seq + 1}, got ${event.seq}`);

  applyPlanEvent(state.plan, event);
  switch (event.type) {
    case "vote.cast": {
      const vote = event.data.vote;
      state.votes = [...state.votes.filter((v) => v.voterId !== vote.voterId), vote];
      break;
    }
    case "plan.revised":
      state.votes = [];
      state.requestedAt = event.at;
      break;
    case "plan.reopened":
      if (event.data.status === "pending_approval") {
        state.votes = [];
        state.requestedAt = event.at;
      }
      break;
    default:
      // Every other event changes only the plan (applyPlanEvent above).
      break;
  }
  state.seq = event.seq;
  return state;
}
