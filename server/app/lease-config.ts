import { z } from "zod";

/**
 * Executor leases (see the store's `acquireLease`): a run's lease lasts `ttlMs` after its grant or
 * last renewal; each node renews all its leases every `renewMs`, and (on a shared store) looks for
 * plans whose executor is gone every `sweepMs`. `renewMs` must be under half of `ttlMs`, so that a
 * run keeps some time to call tools between renewals before it fences itself.
 */
export const LeaseConfigSchema = z
  .object({
    ttlMs: z.number().int().min(100).max(3_600_000).default(15_000),
    renewMs: z.number().int().min(10).max(3_600_000).default(5_000),
    sweepMs: z.number().int().min(10).max(3_600_000).default(1_000),
  })
  .strict()
  .refine((lease) => lease.renewMs < lease.ttlMs / 2, {
    error: (issue) => {
      const lease = issue.input as { ttlMs: number; renewMs: number };
      return `lease.renewMs (${lease.renewMs}) must be less than half of lease.ttlMs (${lease.ttlMs}), or a run fences itself before its lease is renewed`;
    },
  })
  .prefault({});
