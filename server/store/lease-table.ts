import { PlanroomError } from "../../shared/index.js";
import type { LeaseToken } from "./store.js";

/**
 * The in-process half of executor leases: who holds each plan's lease now, and at which epoch.
 * Epochs are allocated by the caller (durably, for the file store); see {@link Store.acquireLease}
 * for the semantics and {@link Store.append} for fencing.
 */
export class LeaseTable {
  private readonly holders = new Map<string, LeaseToken>();

  /** Throws `CONFLICT` when another owner holds the plan's lease. */
  check(planId: string, owner: string): void {
    const holder = this.holders.get(planId);
    if (holder !== undefined && holder.owner !== owner) {
      throw new PlanroomError("CONFLICT", `plan ${planId}: the executor lease is held by ${holder.owner}`);
    }
  }

  /** Throws `CONFLICT` unless `lease` (owner and epoch) is the plan's current lease. */
  assertCurrent(planId: string, lease: LeaseToken): void {
    const holder = this.holders.get(planId);
    if (holder === undefined || holder.owner !== lease.owner || holder.epoch !== lease.epoch) {
      const now = holder === undefined ? "no lease is held" : `the lease is held by ${holder.owner} at epoch ${holder.epoch}`;
      throw new PlanroomError("CONFLICT", `plan ${planId}: the executor lease of ${lease.owner} at epoch ${lease.epoch} is not current (${now})`);
    }
  }

  /** Records `owner` as the holder, at `epoch`. */
  grant(planId: string, owner: string, epoch: number): void {
    this.holders.set(planId, { owner, epoch });
  }

  /** Frees the lease if `owner` holds it. */
  release(planId: string, owner: string): void {
    if (this.holders.get(planId)?.owner === owner) this.holders.delete(planId);
  }

  /** Frees every lease (a restart). */
  clear(): void {
    this.holders.clear();
  }
}
