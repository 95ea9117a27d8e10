import { z } from "zod";
import { RetryPolicySchema } from "./retry-policy.js";

/** How a plan is executed; the seed's six fields plus a plan-wide retry policy. */
export const ExecutionOptionsSchema = z.strictObject({
  /** The plan must be approved before it runs. */
  requireApproval: z.boolean().default(true),
  /** Approve automatically when execution is requested. */
  autoApprove: z.boolean().default(false),
  /** Stop at the first failed step: abort running steps, skip the rest. */
  stopOnError: z.boolean().default(true),
  /** Run independent steps concurrently. */
  allowParallel: z.boolean().default(true),
  /** At most this many steps run at once when `allowParallel` is set. */
  maxParallelSteps: z.number().int().min(1).max(1024).default(3),
  /** A step attempt that runs longer than this is aborted and fails with `TIMEOUT`. */
  stepTimeoutMs: z.number().int().min(1).max(86_400_000).default(30_000),
  /** The retry policy of every step that does not set its own. */
  retry: RetryPolicySchema.prefault({}),
});

const option = ExecutionOptionsSchema.shape;

/**
 * Execution options to change, as `plan:revise` takes them: each field optional and, unlike
 * `ExecutionOptionsSchema.partial()` (which fills every default in), only the fields named are
 * there, so that the others keep their current values.
 */
export const ExecutionOptionsPatchSchema = z.strictObject({
  requireApproval: option.requireApproval.unwrap().optional(),
  autoApprove: option.autoApprove.unwrap().optional(),
  stopOnError: option.stopOnError.unwrap().optional(),
  allowParallel: option.allowParallel.unwrap().optional(),
  maxParallelSteps: option.maxParallelSteps.unwrap().optional(),
  stepTimeoutMs: option.stepTimeoutMs.unwrap().optional(),
  retry: option.retry.unwrap().optional(),
});

/** Execution options to change (see {@link ExecutionOptionsPatchSchema}). */
export type ExecutionOptionsPatch = z.output<typeof ExecutionOptionsPatchSchema>;

/** Fully defaulted execution options. */
export type ExecutionOptions = z.output<typeof ExecutionOptionsSchema>;
/** Execution options as a user writes them (every field optional). */
export type ExecutionOptionsInput = z.input<typeof ExecutionOptionsSchema>;
