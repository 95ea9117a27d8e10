import { PlanroomError, statusAfter, type PlanEvent } from "../../shared/index.js";
import { leaseConflict } from "./append-conflict.js";
import type { CancelRequest, LeaseToken } from "./store.js";

/** A lease as the table holds it: owner, epoch, and when it expires (undefined: never). */
interface HeldLease extends LeaseToken {
  expiresAt: number | undefined;
}

/**
 * The in-process half of executor leases (memory and file stores): who holds each plan's lease
 * now, at which epoch, until when (on the store's clock), and the cancel requests waiting for the
 * holders. Epochs are allocated by the caller (durably, for the file store); see
 * {@link Store.acquireLease} for the semantics and {@link Store.append} for fencing.
 */
export class LeaseTable {
  private readonly holders = new Map<string, HeldLease>();
  /** The last epoch granted per plan since the table was cleared (reported when no lease is held). */
  private readonly epochs = new Map<string, number>();
  private readonly cancels = new Map<string, CancelRequest>();

  constructor(private readonly clock: () => number) {}

  /** Throws `CONFLICT` naming the holder when another owner holds the plan's lease and it has not expired. */
  check(planId: string, owner: string): void {
    const holder = this.holders.get(planId);
    if (holder !== undefined && holder.owner !== owner && !this.expired(holder)) {
      throw new PlanroomError("CONFLICT", `plan ${planId}: the executor lease is held by ${holder.owner}`);
    }
  }

  /** Throws an `AppendConflictError` of kind `lease` unless `lease` (owner and epoch) is the plan's current, unexpired lease. */
  assertCurrent(planId: string, lease: LeaseToken): void {
    const holder = this.holders.get(planId);
    if (holder === undefined) throw leaseConflict(planId, lease, { owner: null, epoch: this.epochs.get(planId) ?? 0 });
    const expired = this.expired(holder);
    if (holder.owner !== lease.owner || holder.epoch !== lease.epoch || expired) throw leaseConflict(planId, lease, { ...holder, expired });
  }

  /** Records `owner` as the holder at `epoch`, for `ttlMs` (undefined: no expiry); returns the pending cancel request. */
  grant(planId: string, owner: string, epoch: number, ttlMs: number | undefined): CancelRequest | undefined {
    this.holders.set(planId, { owner, epoch, expiresAt: ttlMs === undefined ? undefined : this.clock() + ttlMs });
    this.epochs.set(planId, epoch);
    return this.cancels.get(planId);
  }

  /** Extends every listed lease still `owner`'s at that epoch by `ttlMs` from now; see {@link Store.renewLeases}. */
  renew(owner: string, leases: readonly { planId: string; epoch: number }[], ttlMs: number): Map<string, { cancel?: CancelRequest }> {
    const renewed = new Map<string, { cancel?: CancelRequest }>();
    const expiresAt = this.clock() + ttlMs;
    for (const { planId, epoch } of leases) {
      const holder = this.holders.get(planId);
      if (holder?.owner !== owner || holder.epoch !== epoch) continue;
      holder.expiresAt = expiresAt;
      const cancel = this.cancels.get(planId);
      renewed.set(planId, cancel ? { cancel } : {});
    }
    return renewed;
  }

  /** Frees the lease if `owner` holds it (at `epoch`, when given). */
  release(planId: string, owner: string, epoch?: number): void {
    const holder = this.holders.get(planId);
    if (holder?.owner === owner && (epoch === undefined || holder.epoch === epoch)) this.holders.delete(planId);
  }

  /** Of the candidate plans, those with no lease or an expired one, oldest expiry first (never leased first), at most `limit`. */
  orphans(candidates: Iterable<string>, limit: number): string[] {
    const free: { planId: string; expiresAt: number }[] = [];
    for (const planId of candidates) {
      const holder = this.holders.get(planId);
      if (holder === undefined) free.push({ planId, expiresAt: Number.NEGATIVE_INFINITY });
      else if (this.expired(holder)) free.push({ planId, expiresAt: holder.expiresAt! });
    }
    free.sort((a, b) => a.expiresAt - b.expiresAt || (a.planId < b.planId ? -1 : a.planId > b.planId ? 1 : 0));
    return free.slice(0, Math.max(0, Math.floor(limit))).map((f) => f.planId);
  }

  /** Stores a cancel request for the plan's executor. */
  requestCancel(planId: string, request: CancelRequest): void {
    this.cancels.set(planId, { reason: request.reason, by: request.by });
  }

  /** Notes committed events: a plan that leaves executing drops its cancel request. */
  noteEvents(events: readonly PlanEvent[]): void {
    for (const event of events) {
      const status = statusAfter(event);
      if (status !== undefined && status !== "executing") this.cancels.delete(event.planId);
    }
  }

  /** Frees every lease and forgets every cancel request (a restart). */
  clear(): void {
    this.holders.clear();
    this.epochs.clear();
    this.cancels.clear();
  }

  private expired(holder: HeldLease): boolean {
    return holder.expiresAt !== undefined && holder.expiresAt <= this.clock();
  }
}

/** Checks a lease TTL: a positive finite number of milliseconds (undefined: no expiry). Throws `VALIDATION`. */
export function checkTtl(ttlMs: number | undefined): number | undefined {
  if (ttlMs === undefined) return undefined;
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new PlanroomError("VALIDATION", `invalid lease TTL ${String(ttlMs)} ms`);
  return ttlMs;
}
