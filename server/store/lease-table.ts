import { PlanroomError } from "../../shared/index.js";

/**
 * The in-process half of executor leases: who holds each plan's lease now. Epochs are kept by the
 * caller (durably, for the file store); see {@link Store.acquireLease} for the semantics.
 */
export class LeaseTable {
  private readonly holders = new Map<string, string>();

  /** Throws `CONFLICT` when another owner holds the plan's lease. */
  check(planId: string, owner: string): void {
    const holder = this.holders.get(planId);
    if (holder !== undefined && holder !== owner) {
      throw new PlanroomError("CONFLICT", `plan ${planId}: the executor lease is held by ${holder}`);
    }
  }

  /** Records `owner` as the holder. */
  grant(planId: string, owner: string): void {
    this.holders.set(planId, owner);
  }

  /** Frees the lease if `owner` holds it. */
  release(planId: string, owner: string): void {
    if (this.holders.get(planId) === owner) this.holders.delete(planId);
  }

  /** Frees every lease (a restart). */
  clear(): void {
    this.holders.clear();
  }
}
