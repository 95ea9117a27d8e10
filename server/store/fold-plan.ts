import { applyEvent, PlanroomError, type PlanEvent, type PlanState } from "../../shared/index.js";

/**
 * Rebuilds a plan's state from an optional snapshot and the events after it. A snapshot ahead of
 * the log (it should not happen; the log is the truth) is ignored and the whole log folded, which
 * is why `eventsAfter` must be able to give every event. Returns undefined when the log is empty.
 * Throws `INTERNAL` naming the plan and event when the log does not fold. With `snapshotIsOwned`,
 * the snapshot (a fresh object nobody else holds) becomes the state instead of being copied.
 */
export async function foldPlan(
  planId: string,
  lastSeq: number,
  snapshot: PlanState | undefined,
  eventsAfter: (afterSeq: number) => Promise<PlanEvent[]>,
  options: { snapshotIsOwned?: boolean } = {},
): Promise<PlanState | undefined> {
  const usable = snapshot && snapshot.seq <= lastSeq ? snapshot : undefined;
  // A snapshot the caller just parsed is folded into as it is; one it keeps is copied first.
  let state: PlanState | undefined = usable && !options.snapshotIsOwned ? structuredClone(usable) : usable;
  const events = await eventsAfter(state?.seq ?? 0);
  for (const event of events) {
    try {
      state = applyEvent(state, event);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new PlanroomError("INTERNAL", `plan ${planId}: event ${event.seq} (${event.type}) does not fold: ${why}`);
    }
  }
  return state;
}
