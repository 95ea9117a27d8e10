import { z } from "zod";
import { JsonObjectSchema, JsonValueSchema } from "./json.js";
import { RetryPolicySchema } from "./retry-policy.js";

/** The status of one step. */
export const StepStatusSchema = z.enum(["pending", "running", "completed", "failed", "skipped", "cancelled"]);
/** One of {@link StepStatusSchema}'s values. */
export type StepStatus = z.infer<typeof StepStatusSchema>;

/** Step ids: short, and free of dots so that `$ref` paths stay unambiguous. */
export const StepIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, "step ids may hold letters, digits, '_' and '-' only");

/** Why a step failed. */
export const StepErrorSchema = z.object({
  code: z.string().max(64),
  message: z.string().max(10_000),
});
/** Why a step failed. */
export type StepError = z.infer<typeof StepErrorSchema>;

/** What a running step may wait for: `agent`, the socket of the agent that serves its tool. */
export const StepWaitReasonSchema = z.enum(["agent"]);
/** One of {@link StepWaitReasonSchema}'s values. */
export type StepWaitReason = z.infer<typeof StepWaitReasonSchema>;

/** A running step that waits (see the `step.waiting` event): why, for which tool, since when. */
export const StepWaitingSchema = z.object({ reason: StepWaitReasonSchema, tool: z.string(), since: z.number() });

/** A step as an author writes it: the tool call and its dependencies. */
export const StepInputSchema = z.strictObject({
  id: StepIdSchema.optional(),
  tool: z.string().trim().min(1, "tool name is empty").max(128),
  description: z.string().max(2_000).default(""),
  params: JsonObjectSchema.default({}),
  dependsOn: z.array(StepIdSchema).max(1_000).default([]),
  retry: RetryPolicySchema.optional(),
});
/** A step as an author writes it. */
export type StepInput = z.input<typeof StepInputSchema>;

/** A step with its execution record. */
export const StepSchema = z.object({
  id: StepIdSchema,
  tool: z.string().trim().min(1, "tool name is empty").max(128),
  description: z.string().max(2_000),
  params: JsonObjectSchema,
  dependsOn: z.array(StepIdSchema).max(1_000),
  retry: RetryPolicySchema.optional(),
  status: StepStatusSchema,
  /** Attempts made so far, over every run: attempt numbers (and idempotency keys) never repeat. */
  attempts: z.number().int().min(0),
  /** Attempts made in earlier runs, before the last resume; the retry policy counts from here. */
  priorAttempts: z.number().int().min(0).optional(),
  result: JsonValueSchema.optional(),
  error: StepErrorSchema.optional(),
  /** Why the step was skipped or cancelled. */
  reason: z.string().max(2_000).optional(),
  /** Set while the running attempt waits (its deadline paused); cleared when it goes on or ends. */
  waiting: StepWaitingSchema.optional(),
  startedAt: z.number().optional(),
  completedAt: z.number().optional(),
  durationMs: z.number().optional(),
});
/** A step with its execution record; the object `addStep` returns stays the live step. */
export type Step = z.infer<typeof StepSchema>;
