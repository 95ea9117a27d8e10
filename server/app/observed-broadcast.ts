import type { PlanEvent, PlanState } from "../../shared/index.js";
import type { PlanRoom } from "../rooms/plan-room.js";
import type { RoomBroadcast } from "../rooms/room-broadcast.js";
import type { Logger } from "../runtime/logger.js";
import type { ServerMetrics } from "../runtime/server-metrics.js";

/** Event types that get a line in the audit log: the plan's transitions. */
const AUDITED = new Set<PlanEvent["type"]>(["plan.submitted", "plan.revised", "plan.approved", "plan.rejected", "plan.expired", "plan.reopened", "plan.started", "plan.completed", "plan.failed", "plan.cancelled"]);

/** Each plan's step tools, by step id, for its current version (a plan may hold thousands of steps). */
class StepTools {
  private readonly byRoom = new WeakMap<PlanRoom, { version: number; tools: Map<string, string> }>();

  tool(room: PlanRoom, state: PlanState, stepId: string): string {
    let entry = this.byRoom.get(room);
    if (entry?.version !== state.plan.version) {
      entry = { version: state.plan.version, tools: new Map(state.plan.steps.map((s) => [s.id, s.tool])) };
      this.byRoom.set(room, entry);
    }
    return entry.tools.get(stepId) ?? "unknown";
  }
}

/** The fields of a plan transition's audit line beyond the plan id, the event and the actor. */
function details(event: PlanEvent): Record<string, unknown> {
  switch (event.type) {
    case "plan.submitted":
      return { version: event.data.plan.version, steps: event.data.plan.steps.length };
    case "plan.revised":
      return { version: event.data.plan.version, dismissedVotes: event.data.dismissedVotes };
    case "plan.approved":
      return { by: event.data.by };
    case "plan.rejected":
      return { by: event.data.by };
    case "plan.reopened":
      return { status: event.data.status };
    case "plan.started":
      return { run: event.data.run };
    case "plan.completed":
      return { durationMs: event.data.durationMs };
    case "plan.failed":
      return { errorCode: event.data.error.code, durationMs: event.data.durationMs };
    case "plan.cancelled":
      return { durationMs: event.data.durationMs };
    default:
      return {};
  }
}

/**
 * The rooms' broadcast port with the server's observation around it: it is told every durable
 * event once, in order, so this is where events are counted (`eventAppended`), step attempts
 * (`stepFinished`, from the durations `step.completed` and `step.failed` carry) and approval
 * decisions (`approvalDecided`, from the request's `requestedAt`) are timed, broadcasts counted
 * (`delivery`), and each plan transition gets its audit line (`plan.approved` with the fields
 * `audit: "plan"`, `event`, `planId`, `actor` and the event's own details).
 */
export function observedBroadcast(inner: RoomBroadcast, deps: { metrics: ServerMetrics; log: Logger }): RoomBroadcast {
  const tools = new StepTools();
  const { metrics, log } = deps;
  return {
    event(room, event) {
      inner.event(room, event);
      metrics.delivery("event");
      metrics.eventAppended(event.type);
      const state = room.durable;
      if ((event.type === "step.completed" || event.type === "step.failed") && event.data.durationMs !== undefined) {
        metrics.stepFinished(tools.tool(room, state, event.data.stepId), event.type === "step.completed" ? "completed" : "failed", event.data.durationMs);
      }
      if (event.type === "plan.approved" || event.type === "plan.rejected" || event.type === "plan.expired") {
        metrics.approvalDecided(event.type === "plan.approved" ? "approved" : event.type === "plan.rejected" ? "rejected" : "expired", event.at - state.requestedAt);
      }
      if (AUDITED.has(event.type)) {
        log.info(`${event.type} ${event.planId}`, { audit: "plan", event: event.type, planId: event.planId, ...(event.actor !== undefined ? { actor: event.actor } : {}), seq: event.seq, ...details(event) });
      }
    },
    presence(planId, delta) {
      inner.presence(planId, delta);
      metrics.delivery("presence");
    },
  };
}
