import { ExecutionOptionsSchema, ExecutionPlan, PlanroomError, type PlanData, type PlanEventOf, type StepInput } from "../../../../shared/index.js";
import { canRevise, canSubmit } from "../../../auth/access-rules.js";
import { checkSubmittedPolicy } from "../../../rooms/approval.js";
import { revisionChanges } from "../../../rooms/plan-revision.js";
import { checkPlanSize, checkRefExpansion } from "../../../rooms/plan-size-limits.js";
import { carryOver } from "../../../rooms/revision-carry-over.js";
import { ensureOpen, type CommandDeps, type SomeCommandHandlers } from "./command-handler.js";

/**
 * Builds a validated plan whose tools are all known (server-side or declared by the agent), with
 * the bytes of its params as the size check measured them.
 */
function buildPlan(deps: CommandDeps, input: { description: string; options: unknown; steps: StepInput[] }, tools: readonly string[], init: { id?: string }): { plan: ExecutionPlan; paramsBytes: number } {
  const paramsBytes = checkPlanSize(input.steps, deps.limits);
  const plan = ExecutionPlan.fromInput(input, { clock: () => deps.clock.now(), ...init }, { hasTool: (name) => deps.serverTools.has(name) || tools.includes(name) });
  checkRefExpansion(plan.steps, deps.limits);
  return { plan, paramsBytes };
}

/** `plan:submit` and `plan:revise`: the agent's side of a plan. */
export function planAuthoringCommands(deps: CommandDeps): SomeCommandHandlers<"plan:submit" | "plan:revise"> {
  const { directory, quota, clock } = deps;
  return {
    "plan:submit": async ({ principal, socket }, p) => {
      ensureOpen(deps);
      if (!canSubmit(principal)) throw new PlanroomError("FORBIDDEN", "only principals with the agent role may submit plans");
      const tools = [...new Set(p.tools)];
      const submittedBy = { id: principal.id, name: principal.name };
      const { voterRoles } = deps.approvalRules;
      checkSubmittedPolicy(p.approval, deps.approvalRules, { eligible: deps.registry.eligibleVoters({ policy: p.approval, submittedBy }, voterRoles), principal: (id) => deps.registry.get(id) });
      // The quota's count is checked before the plan is built (cheap), its bytes once measured.
      quota.check(principal.id, { plans: 1, bytes: 0 }, deps.limits);
      const { plan, paramsBytes: bytes } = buildPlan(deps, p.plan, tools, {});
      plan.submitForApproval();
      const submitted = {
        type: "plan.submitted",
        at: clock.now(),
        actor: principal.id,
        planId: plan.id,
        seq: 1,
        data: { plan: plan.toJSON(), policy: p.approval, submittedBy, tools, autoExecute: p.autoExecute },
      } satisfies PlanEventOf<"plan.submitted">;
      quota.check(principal.id, { plans: 1, bytes }, deps.limits);
      const room = directory.create(submitted);
      // Counted now, before the write: submissions racing in one tick cannot all pass the check.
      quota.track(room.head, bytes);
      try {
        await room.settled();
      } catch (error) {
        quota.forget(room.id);
        throw error;
      }
      directory.add(room);
      // This socket serves the plan's tools (until its submitter re-joins with `serveTools` elsewhere).
      if (tools.length > 0) deps.agents.serve(plan.id, socket);
      return { planId: plan.id, version: plan.version, seq: 1 };
    },

    "plan:revise": async ({ principal }, p) => {
      ensureOpen(deps);
      const room = await directory.visible(p.planId, principal);
      const head = room.head;
      if (!canRevise(head, principal)) throw new PlanroomError("FORBIDDEN", "only the submitting agent may revise its plan");
      if (head.plan.status !== "pending_approval") throw new PlanroomError("INVALID_STATE", `plan ${room.id} is ${head.plan.status}: only a plan pending approval can be revised`);
      if (p.version !== head.plan.version) throw new PlanroomError("CONFLICT", `plan ${room.id} is at version ${head.plan.version}, the revision is of version ${p.version}`);
      const inputs: StepInput[] = p.steps ?? head.plan.steps.map((s) => ({ id: s.id, tool: s.tool, description: s.description, params: s.params, dependsOn: s.dependsOn, ...(s.retry ? { retry: s.retry } : {}) }));
      const options = ExecutionOptionsSchema.parse({ ...head.plan.options, ...(p.options ?? {}) });
      const { plan: built, paramsBytes: bytes } = buildPlan(deps, { description: p.description ?? head.plan.description, options, steps: inputs }, head.tools, { id: room.id });
      const steps = carryOver(head.plan, built.toJSON().steps);
      const next: PlanData = { ...structuredClone(head.plan), version: head.plan.version + 1, description: built.description, options: built.options, steps };
      quota.check(head.submittedBy.id, { plans: 0, bytes: bytes - (quota.bytesOf(room.id) ?? 0) }, deps.limits);
      const changes = revisionChanges(head.plan, next);
      // Checked again on a newer head if another server's events come first: still this version, still open.
      const logged = room.command((now) => {
        if (now.plan.status !== "pending_approval") throw new PlanroomError("INVALID_STATE", `plan ${room.id} is ${now.plan.status}: only a plan pending approval can be revised`);
        if (now.plan.version !== p.version) throw new PlanroomError("CONFLICT", `plan ${room.id} is at version ${now.plan.version}, the revision is of version ${p.version}`);
        return [{ type: "plan.revised", at: clock.now(), actor: principal.id, data: { plan: next, changes, dismissedVotes: now.votes.length } }];
      });
      quota.resize(room.id, bytes);
      const events = await logged;
      return { version: next.version, seq: (events[0] as { seq: number }).seq };
    },
  };
}
