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
      // Decided on the head, and again on a newer one if another server's events came first.
      const recorded = await room.command((head) => castVote(head, principal, p, clock.now(), deps.registry.eligibleVoters(head, voterRoles), voterRoles).events);
      const decided = recorded.find((e) => e.type === "plan.approved" || e.type === "plan.rejected");
      const outcome = decided?.type === "plan.approved" ? "approved" : decided?.type === "plan.rejected" ? "rejected" : "pending";
      return { seq: recorded[0]!.seq, outcome };
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
      const here = runs.isRunning(room.id);
      if (here || status === "executing") {
        // A run on another node is asked to stop through the store, and waited for.
        if (here) await runs.cancel(room.id, reason, principal.id);
        else await runs.cancelElsewhere(room, reason, principal.id);
        await room.settled();
        // The run may have ended on its own before the cancellation reached it.
        const ended = room.head.plan.status;
        if (ended !== "cancelled") throw new PlanroomError("INVALID_STATE", `plan ${room.id} is ${ended}: it finished before it could be cancelled`);
        return { seq: room.seq };
      }
      if (status !== "pending_approval" && status !== "approved") throw new PlanroomError("INVALID_STATE", `plan ${room.id} is ${status}: it cannot be cancelled`);
      // Checked again on a newer head if another server's events come first (it may have started the run).
      const events = await room.command((head) => {
        const now = head.plan.status;
        if (now !== "pending_approval" && now !== "approved") throw new PlanroomError("INVALID_STATE", `plan ${room.id} is ${now}: it cannot be cancelled`);
        return [{ type: "plan.cancelled", at: clock.now(), actor: principal.id, data: { reason } }];
      });
      return { seq: (events[0] as { seq: number }).seq };
    },

    "plan:resume": async ({ principal }, p) => {
      ensureOpen(deps);
      const room = await directory.visible(p.planId, principal);
      if (!canResume(room.head, principal)) throw new PlanroomError("FORBIDDEN", "only the submitting agent or an admin may resume a plan");
      if (runs.isRunning(room.id)) throw new PlanroomError("INVALID_STATE", `plan ${room.id} is running`);
      // A resumed run always asks the room again, under the same policy: no approval bypass.
      const events = await room.command((head) => {
        const reopened = reopenedEvent(head.plan, clock.now());
        return [{ ...reopened, actor: principal.id, data: { ...reopened.data, status: "pending_approval" } }];
      });
      return { seq: (events[0] as { seq: number }).seq, status: room.head.plan.status };
    },
  };
}
