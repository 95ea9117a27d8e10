import { FINISHED_PLAN_STATUSES, PlanroomError } from "../../shared/index.js";
import type { Clock } from "../runtime/clock.js";
import type { CancelRequest, Store } from "../store/store.js";
import type { PlanRoom } from "./plan-room.js";

/** How a cancellation of a run on another node is asked for and waited on. */
export interface RemoteCancelDeps {
  store: Store;
  clock: Clock;
  /** How often the store is read while waiting for the plan to finish. */
  pollMs: number;
  /** How long to wait for it before giving up (`UNAVAILABLE`). */
  timeoutMs: number;
}

/**
 * Cancels a plan executing on another node: the request is stored for its executor (which sees it
 * at its next lease renewal, or at once through a hint), then the plan's stored log is read every
 * `pollMs` (the room catching up with it) until the plan is finished, at most `timeoutMs`.
 * `INVALID_STATE` when the plan is not executing; resolves once the room's durable status is
 * finished, whichever it is (the caller tells a cancellation from a run that ended first).
 */
export async function cancelRemoteRun(deps: RemoteCancelDeps, room: PlanRoom, request: CancelRequest): Promise<void> {
  if (!(await deps.store.requestCancel(room.id, request))) {
    const state = await deps.store.loadPlan(room.id);
    if (state) room.behind(state.seq);
    if (!state || !FINISHED_PLAN_STATUSES.has(state.plan.status)) throw new PlanroomError("INVALID_STATE", `plan ${room.id} is ${state?.plan.status ?? "gone"}: it cannot be cancelled`);
  }
  const deadline = deps.clock.now() + deps.timeoutMs;
  for (;;) {
    if (FINISHED_PLAN_STATUSES.has(room.durable.plan.status)) return;
    const state = await deps.store.loadPlan(room.id);
    // The room reads what it lacks of the log; the next round sees it.
    if (state && state.seq > room.durable.seq) room.behind(state.seq);
    const left = deadline - deps.clock.now();
    if (left <= 0) throw new PlanroomError("UNAVAILABLE", `plan ${room.id}: its executor on another node did not finish the cancellation within ${deps.timeoutMs} ms`);
    await new Promise<void>((resolve) => deps.clock.setTimeout(resolve, Math.min(deps.pollMs, left)));
  }
}
