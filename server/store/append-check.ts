import { PlanroomError, PlanEventSchema, toIssues, type PlanEvent } from "../../shared/index.js";
import { seqConflict } from "./append-conflict.js";

/**
 * Checks one `append` call before anything is stored: at least one event, all of one plan, each a
 * valid {@link PlanEventSchema} event, seqs continuing `lastSeqOf(planId)` without gaps. Returns the plan id
 * and the events as the schema parsed them (what a log writes, so that reading a line back gives
 * what the schema would; undefined for an empty call). Throws `VALIDATION`, or an
 * `AppendConflictError` of kind `seq` (with the head `lastSeqOf` gives).
 */
export function checkAppend(events: readonly PlanEvent[], lastSeqOf: (planId: string) => number): { planId: string; parsed: PlanEvent[] } | undefined {
  const first = events[0];
  if (!first) return undefined;
  const out: PlanEvent[] = [];
  const planId = first.planId;
  let expected = lastSeqOf(planId) + 1;
  for (const event of events) {
    const parsed = PlanEventSchema.safeParse(event);
    if (!parsed.success) {
      throw new PlanroomError("VALIDATION", `invalid event ${String(event?.seq)} of plan ${String(event?.planId)}`, toIssues(parsed.error.issues));
    }
    if (event.planId !== planId) throw new PlanroomError("VALIDATION", `one append holds events of plans ${planId} and ${event.planId}`);
    if (event.seq !== expected) throw seqConflict(planId, lastSeqOf(planId), event.seq);
    out.push(parsed.data);
    expected++;
  }
  return { planId, parsed: out };
}
