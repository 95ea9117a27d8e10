import { PlanroomError } from "../../shared/index.js";

/** Why an append was refused: another writer moved the head first, or the caller's lease is not current. */
export type AppendConflict = { kind: "seq"; head: number } | { kind: "lease"; owner: string | null; epoch: number };

/**
 * `CONFLICT` with the reason (see {@link Store.append}): a `seq` conflict is resolved by catching up
 * to `head` and deciding again; a `lease` one is final (the caller was fenced and must stop writing).
 */
export class AppendConflictError extends PlanroomError {
  readonly conflict: AppendConflict;

  constructor(message: string, conflict: AppendConflict) {
    super("CONFLICT", message);
    this.conflict = conflict;
  }
}

/** The `seq` conflict of a call whose first event is not `head + 1`. */
export function seqConflict(planId: string, head: number, got: number): AppendConflictError {
  return new AppendConflictError(`plan ${planId}: expected event ${head + 1}, got ${got}`, { kind: "seq", head });
}

/**
 * The `lease` conflict of a call whose lease (`owner`, `epoch`) is not the current one: `holder` is
 * the plan's recorded lease (owner null when none is held), `expired` when that lease ran out.
 */
export function leaseConflict(
  planId: string,
  lease: { owner: string; epoch: number },
  holder: { owner: string | null; epoch: number; expired?: boolean },
): AppendConflictError {
  const held = `the lease is held by ${holder.owner} at epoch ${holder.epoch}${holder.expired ? ", expired" : ""}`;
  const now = holder.owner === null ? "no lease is held" : held;
  return new AppendConflictError(`plan ${planId}: the executor lease of ${lease.owner} at epoch ${lease.epoch} is not current (${now})`, {
    kind: "lease",
    owner: holder.owner,
    epoch: holder.epoch,
  });
}
