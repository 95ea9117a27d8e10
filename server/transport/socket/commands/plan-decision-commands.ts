import { PlanroomError, reopenedEvent, type PlanState } from "../../../../shared/index.js";
import { canCancel, canExecute, canResume } from "../../../auth/access-rules.js";
import { castVote } from "../../../rooms/approval.js";
import { ensureOpen, type CommandDeps, type SomeCommandHandlers } from "./command-handler.js";

/** The agent's own tools that the plan's unfinished steps call, sorted (for a plan no socket serves). */
function unservedTools(state: PlanState): string[] {
  const agentTools = new Set(state.tools);
  const used = new Set<string>();
  for (const step of state.plan.steps) if (step.status !== "completed" && agentTools.has(step.tool)) used.add(step.tool);
  return [...used].sort();
}

/**
 * `plan:vote`, `plan:execute`, `plan:cancel` and `plan:resume`: what decides a plan's course. Each
 * only records events; expiry and auto-execution follow from them (see `RoomReactions`).
 */
export function planDecisionCommands(deps: CommandDeps): SomeCommandHandlers<"plan:vote" | "plan:execute" | "plan:cancel" | "plan:resume"> {
  const { directory, runs, clock } = deps;
  return {
    "plan:vote": async ({ principal }, p) => {
      ensureOpen(deps);
      const room = await directory.visible(p.planId, principal);
      const { voterRoles } = deps.approvalRules;
      const { events, outcome } = castVote(room.head, principal, p, clock.now(), deps.registry.eligibleVoters(room.head, voterRoles), voterRoles);
      const recorded = await room.record(events);
      return { seq: (recorded[0] as { seq: number }).seq, outcome };
    },

    "plan:execute": async ({ principal }, p) => {
      ensureOpen(deps);
      const room = await directory.visible(p.planId, principal);
      if (!canExecute(room.head, principal)) throw new PlanroomError("FORBIDDEN", "only the submitting agent or an admin may start a plan");
      const unserved = deps.agents.current(room.id) ? [] : unservedTools(room.head);
      const seq = await runs.start(room, principal.id);
      return unserved.length > 0 ? { seq, unservedTools: unserved } : { seq };
    },

    "plan:cancel": async ({ principal }, p) => {
      ensureOpen(deps);
      const room = await directory.visible(p.planId, principal);
      if (!canCancel(room.head, principal)) throw new PlanroomError("FORBIDDEN", "you may not cancel this plan");
      const reason = p.reason ?? `cancelled by ${principal.name}`;
      const status = room.head.plan.status;
      if (runs.isRunning(room.id)) {
        await runs.cancel(room.id, reason, principal.id);
        await room.settled();
        // The run may have ended on its own before the cancellation reached it.
        const ended = room.head.plan.status;
        if (ended !== "cancelled") throw new PlanroomError("INVALID_STATE", `plan ${room.id} is ${ended}: it finished before it could be cancelled`);
        return { seq: room.seq };
      }
      if (status !== "pending_approval" && status !== "approved") throw new PlanroomError("INVALID_STATE", `plan ${room.id} is ${status}: it cannot be cancelled`);
      const events = await room.record([{ type: "plan.cancelled", at: clock.now(), actor: principal.id, data: { reason } }]);
      return { seq: (events[0] as { seq: number }).seq };
    },

    "plan:resume": async ({ principal }, p) => {
      ensureOpen(deps);
      const room = await directory.visible(p.planId, principal);
      if (!canResume(room.head, principal)) throw new PlanroomError("FORBIDDEN", "only the submitting agent or an admin may resume a plan");
      if (runs.isRunning(room.id)) throw new PlanroomError("INVALID_STATE", `plan ${room.id} is running`);
      const reopened = reopenedEvent(room.head.plan, clock.now());
      // A resumed run always asks the room again, under the same policy: no approval bypass.
      const events = await room.record([{ ...reopened, actor: principal.id, data: { ...reopened.data, status: "pending_approval" } }]);
      return { seq: (events[0] as { seq: number }).seq, status: room.head.plan.status };
    },
  };
}
