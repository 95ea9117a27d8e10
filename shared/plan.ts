import { z } from "zod";
import { ExecutionOptionsSchema } from "./execution-options.js";
import { PlanStatusSchema } from "./lifecycle.js";
import { StepErrorSchema, StepInputSchema, StepSchema } from "./step.js";

/** How the approval request ended. */
export const PlanDecisionSchema = z.object({
  outcome: z.enum(["approved", "rejected", "expired"]),
  /** Who decided: the approvers, or the rejecting voter(s); empty for expiry. */
  by: z.array(z.string()),
  at: z.number(),
  reason: z.string().max(2_000).optional(),
});
/** How the approval request ended. */
export type PlanDecision = z.infer<typeof PlanDecisionSchema>;

/** Who cancelled a plan, and why. */
export const PlanCancellationSchema = z.object({
  by: z.string().optional(),
  reason: z.string().max(2_000),
  at: z.number(),
});

/** Plan ids. */
export const PlanIdSchema = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, "plan ids may hold letters, digits, '_' and '-' only");

/** A plan with its steps and their execution record: what `toJSON` produces and the wire carries. */
export const PlanSchema = z.object({
  id: PlanIdSchema,
  version: z.number().int().min(1),
  description: z.string().min(1, "description is empty").max(2_000),
  status: PlanStatusSchema,
  options: ExecutionOptionsSchema,
  steps: z.array(StepSchema),
  createdAt: z.number(),
  updatedAt: z.number(),
  /** How many times the plan started executing (resume starts another run). */
  run: z.number().int().min(0),
  decision: PlanDecisionSchema.optional(),
  cancellation: PlanCancellationSchema.optional(),
  error: StepErrorSchema.optional(),
  startedAt: z.number().optional(),
  finishedAt: z.number().optional(),
});
/** A plan's data. */
export type PlanData = z.infer<typeof PlanSchema>;

/** A plan as an agent writes it before submission: no ids are trusted, no execution record. */
export const PlanInputSchema = z.strictObject({
  description: z.string().trim().min(1, "description is empty").max(2_000),
  options: ExecutionOptionsSchema.prefault({}),
  steps: z.array(StepInputSchema).min(1, "a plan needs at least one step"),
});
/** A plan as an agent writes it. */
export type PlanInput = z.input<typeof PlanInputSchema>;
