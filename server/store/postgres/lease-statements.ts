import type { QueryConfig } from "pg";

/**
 * The executor lease statements on the plan row (see {@link Store.acquireLease}). Expiry is always
 * measured on the database clock (`now()`), never a node's; a lease whose `lease_expires_at` is
 * NULL does not expire. A lease is expired once `lease_expires_at <= now()`.
 */

/** `now() + ttl` as SQL, NULL when the TTL parameter is NULL. */
const expiresAt = (param: string): string => `now() + make_interval(secs => ${param}::float8 / 1000.0)`;

/**
 * Grants the lease to `owner` (new epoch) if it is free, already `owner`'s or expired; creates the
 * plan's row (head 0) if the plan has none yet. Returns no row when another owner holds it.
 */
export function acquireStatement(planId: string, owner: string, ttlMs: number | undefined): QueryConfig {
  return {
    text: `INSERT INTO plans AS p (plan_id, lease_owner, lease_epoch, lease_expires_at) VALUES ($1, $2, 1, ${expiresAt("$3")})
           ON CONFLICT (plan_id) DO UPDATE
              SET lease_owner = EXCLUDED.lease_owner, lease_epoch = p.lease_epoch + 1, lease_expires_at = EXCLUDED.lease_expires_at, updated_at = now()
            WHERE p.lease_owner IS NULL OR p.lease_owner = EXCLUDED.lease_owner OR p.lease_expires_at <= now()
           RETURNING p.lease_epoch, p.head_seq, p.cancel_request`,
    values: [planId, owner, ttlMs ?? null],
  };
}

/** Renews, in one statement, every listed lease still `owner`'s at its epoch; returns the renewed plans with their cancel requests. */
export function renewStatement(owner: string, leases: readonly { planId: string; epoch: number }[], ttlMs: number): QueryConfig {
  return {
    text: `UPDATE plans p SET lease_expires_at = ${expiresAt("$2")}
             FROM unnest($3::text[], $4::bigint[]) AS l(plan_id, epoch)
            WHERE p.plan_id = l.plan_id AND p.lease_owner = $1 AND p.lease_epoch = l.epoch
           RETURNING p.plan_id, p.cancel_request`,
    values: [owner, ttlMs, leases.map((l) => l.planId), leases.map((l) => l.epoch)],
  };
}

/** Frees the leases listed if each is still held by its owner (at its epoch, when given). */
export function releaseStatement(leases: readonly { planId: string; owner: string; epoch: number | undefined }[]): QueryConfig {
  return {
    text: `UPDATE plans p SET lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
             FROM unnest($1::text[], $2::text[], $3::bigint[]) AS l(plan_id, owner, epoch)
            WHERE p.plan_id = l.plan_id AND p.lease_owner = l.owner AND (l.epoch IS NULL OR p.lease_epoch = l.epoch)`,
    values: [leases.map((l) => l.planId), leases.map((l) => l.owner), leases.map((l) => l.epoch ?? null)],
  };
}

/** Plans that need an executor and have none, oldest expiry first (the `plans_runnable` index). */
export function orphansStatement(limit: number): QueryConfig {
  return {
    text: `SELECT plan_id FROM plans
            WHERE (status = 'executing' OR (status = 'approved' AND auto_execute))
              AND (lease_owner IS NULL OR lease_expires_at <= now())
            ORDER BY lease_expires_at NULLS FIRST, plan_id
            LIMIT $1`,
    values: [limit],
  };
}

/** Stores a cancel request if the plan is executing (one row updated). */
export function cancelStatement(planId: string, request: { reason: string; by: string }): QueryConfig {
  return {
    text: `UPDATE plans SET cancel_request = $2::json, updated_at = now() WHERE plan_id = $1 AND status = 'executing'`,
    values: [planId, JSON.stringify({ reason: request.reason, by: request.by })],
  };
}
