import { z } from "zod";

/** How often a step is tried and how long to wait between tries (exponential backoff). */
export const RetryPolicySchema = z.strictObject({
  /** Total attempts, the first included. 1 means no retry. */
  maxAttempts: z.number().int().min(1).max(100).default(1),
  /** Delay before the second attempt; later delays grow by `factor`. */
  backoffMs: z.number().int().min(0).max(3_600_000).default(0),
  /** Growth of the delay from one retry to the next. */
  factor: z.number().min(1).max(10).default(2),
  /** Upper bound of any single delay. */
  maxBackoffMs: z.number().int().min(0).max(86_400_000).default(60_000),
});

/** A fully defaulted retry policy. */
export type RetryPolicy = z.output<typeof RetryPolicySchema>;
/** A retry policy as a user writes it (every field optional). */
export type RetryPolicyInput = z.input<typeof RetryPolicySchema>;

/** The delay before attempt `nextAttempt` (2 for the first retry). */
export function backoffDelay(policy: RetryPolicy, nextAttempt: number): number {
  const delay = policy.backoffMs * policy.factor ** Math.max(0, nextAttempt - 2);
  return Math.min(delay, policy.maxBackoffMs);
}
