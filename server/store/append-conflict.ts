import { PlanroomError } from "../../shared/index.js";

/** Why an append was refused: another writer moved the head first, or the caller's lease is not current. */
export type AppendConflict = { kind: "seq"; head: number } | { kind: "lease"; owner: string | null; epoch: number };

/**
 * `CONFLICT` with its reason: a `seq` conflict is resolved by catching up with the log and deciding
 * again; a `lease` one is final for the executor that wrote under it (it was fenced).
 */
export class AppendConflictError extends PlanroomError {
  constructor(
    message: string,
    readonly conflict: AppendConflict,
  ) {
    super("CONFLICT", message);
  }
}
