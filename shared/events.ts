import { z } from "zod";
import { ApprovalPolicySchema, VoteSchema } from "./approval-policy.js";
import { JsonValueSchema } from "./json.js";
import type { PlanStatus } from "./lifecycle.js";
import { PlanIdSchema, PlanSchema } from "./plan.js";
import { StepErrorSchema, StepWaitReasonSchema } from "./step.js";

const stepId = z.string();

/** The data each event type carries. The keys are the event types of the wire contract. */
export const EVENT_DATA = {
  "plan.submitted": z.object({
    plan: PlanSchema,
    policy: ApprovalPolicySchema,
    submittedBy: z.object({ id: z.string(), name: z.string() }),
    /** Tools the submitting agent serves itself (`tool:invoke`). */
    tools: z.array(z.string()),
    autoExecute: z.boolean(),
  }),
  "plan.revised": z.object({
    plan: PlanSchema,
    changes: z.object({
      description: z.boolean(),
      options: z.array(z.string()),
      stepsAdded: z.array(stepId),
      stepsRemoved: z.array(stepId),
      stepsChanged: z.array(stepId),
    }),
    dismissedVotes: z.number().int().min(0),
  }),
  "vote.cast": z.object({ vote: VoteSchema }),
  "plan.approved": z.object({ by: z.array(z.string()) }),
  "plan.rejected": z.object({ by: z.array(z.string()), reason: z.string().optional() }),
  "plan.expired": z.object({}),
  /** A finished run is reopened for resume: the listed steps go back to pending. */
  "plan.reopened": z.object({ status: z.enum(["pending_approval", "approved"]), resetSteps: z.array(stepId) }),
  "plan.started": z.object({ run: z.number().int().min(1) }),
  "step.started": z.object({ stepId, attempt: z.number().int().min(1) }),
  /** A running attempt waits for something outside the run (its agent's socket); its deadline is paused meanwhile. */
  "step.waiting": z.object({ stepId, attempt: z.number().int().min(1), reason: StepWaitReasonSchema, tool: z.string() }),
  /** The wait of `step.waiting` is over: the attempt goes on, its deadline counting again. */
  "step.resumed": z.object({ stepId, attempt: z.number().int().min(1), waitedMs: z.number().min(0) }),
  "step.retrying": z.object({ stepId, attempt: z.number().int().min(1), delayMs: z.number().min(0), error: StepErrorSchema }),
  "step.completed": z.object({ stepId, attempt: z.number().int().min(1), result: JsonValueSchema, durationMs: z.number().min(0) }),
  "step.failed": z.object({ stepId, attempt: z.number().int().min(0), error: StepErrorSchema, durationMs: z.number().min(0).optional() }),
  "step.skipped": z.object({ stepId, reason: z.string() }),
  "step.cancelled": z.object({ stepId, reason: z.string() }),
  "plan.completed": z.object({ durationMs: z.number().min(0) }),
  "plan.failed": z.object({ error: StepErrorSchema, durationMs: z.number().min(0) }),
  "plan.cancelled": z.object({ reason: z.string(), durationMs: z.number().min(0).optional() }),
} as const;

/** Every event type, in the order of the lifecycle. */
export type PlanEventType = keyof typeof EVENT_DATA;
/** Every event type. */
export const PLAN_EVENT_TYPES = Object.keys(EVENT_DATA) as PlanEventType[];

/** The data of an event of type `T`. */
export type PlanEventData<T extends PlanEventType> = z.infer<(typeof EVENT_DATA)[T]>;

/** An event before the server gives it a place in the log: what the executor and the model produce. */
export type PlanEventBody = {
  [T in PlanEventType]: { type: T; at: number; actor?: string | undefined; data: PlanEventData<T> };
}[PlanEventType];

/** A logged event: the body plus the plan it belongs to and its gap-free, per-plan `seq` (from 1). */
export type PlanEvent = PlanEventBody & { planId: string; seq: number };

/** An event of type `T`. */
export type PlanEventOf<T extends PlanEventType> = Extract<PlanEvent, { type: T }>;

/** The schema of a logged event of type `T`: the envelope around {@link EVENT_DATA}`[T]`. */
function eventVariant<T extends PlanEventType>(type: T) {
  return z.object({
    planId: PlanIdSchema,
    seq: z.number().int().min(1),
    type: z.literal(type),
    at: z.number(),
    actor: z.string().optional(),
    data: EVENT_DATA[type],
  });
}

/**
 * Validates a logged event (used when reading logs back and by careful clients). Every type of
 * {@link EVENT_DATA} is listed once; the annotation fails to compile if a variant's shape drifts
 * from {@link PlanEvent}, and a unit test checks that no type is missing.
 */
export const PlanEventSchema: z.ZodType<PlanEvent> = z.discriminatedUnion("type", [
  eventVariant("plan.submitted"),
  eventVariant("plan.revised"),
  eventVariant("vote.cast"),
  eventVariant("plan.approved"),
  eventVariant("plan.rejected"),
  eventVariant("plan.expired"),
  eventVariant("plan.reopened"),
  eventVariant("plan.started"),
  eventVariant("step.started"),
  eventVariant("step.waiting"),
  eventVariant("step.resumed"),
  eventVariant("step.retrying"),
  eventVariant("step.completed"),
  eventVariant("step.failed"),
  eventVariant("step.skipped"),
  eventVariant("step.cancelled"),
  eventVariant("plan.completed"),
  eventVariant("plan.failed"),
  eventVariant("plan.cancelled"),
]);

/** Event types that end a run. */
export const TERMINAL_EVENT_TYPES: ReadonlySet<PlanEventType> = new Set([
  "plan.rejected",
  "plan.expired",
  "plan.completed",
  "plan.failed",
  "plan.cancelled",
]);

/** The status a plan is in after an event that changes it; `undefined` for events that do not. */
export function statusAfter(event: PlanEventBody): PlanStatus | undefined {
  switch (event.type) {
    case "plan.submitted":
      return event.data.plan.status;
    case "plan.reopened":
      return event.data.status;
    case "plan.approved":
      return "approved";
    case "plan.rejected":
      return "rejected";
    case "plan.expired":
      return "expired";
    case "plan.started":
      return "executing";
    case "plan.completed":
      return "completed";
    case "plan.failed":
      return "failed";
    case "plan.cancelled":
      return "cancelled";
    default:
      return undefined;
  }
}
