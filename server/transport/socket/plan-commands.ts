import type { Socket } from "socket.io";
import {
  ExecutionOptionsSchema,
  ExecutionPlan,
  PlanroomError,
  reopenedEvent,
  type CommandName,
  type CommandPayload,
  type CommandResult,
  type PlanData,
  type PlanEventOf,
  type Principal,
  type Step,
  type StepInput,
} from "../../../shared/index.js";
import { canCancel, canExecute, canResume, canRevise, canSubmit, planRoom, watchRoomsOf } from "../../auth/access-rules.js";
import type { AgentQuotaLimits } from "../../rooms/agent-quota.js";
import { castVote, checkSubmittedPolicy, type ApprovalRules } from "../../rooms/approval.js";
import type { Clock } from "../../runtime/clock.js";
import type { PlanDirectory } from "../../rooms/room-directory.js";
import { LoopTurns } from "../../runtime/loop-turns.js";
import { listItem, matchesFilter, page } from "../../rooms/plan-list.js";
import { diffPlans } from "../../rooms/plan-revision.js";
import { carryOver } from "../../rooms/revision-carry-over.js";
import { PlanRoom } from "../../rooms/plan-room.js";
import { checkPlanSize, checkRefExpansion, type PlanSizeLimits } from "../../rooms/plan-size-limits.js";
import type { PlanRuns } from "../../rooms/run-registry.js";
import type { AgentSockets } from "./agent-sockets.js";
import type { ToolHandler } from "../../executor/tool-context.js";

/** What a command handler is given besides its payload. */
export interface CommandContext {
  principal: Principal;
  socket: Socket;
  /**
   * Sends the ack now (in the caller's tick); the dispatch then sends nothing more. `plan:join`
   * uses it so that the snapshot and the room membership start in the same tick.
   */
  respond(result: object): void;
}

/** A command handler: validated payload in, result out (or a thrown `PlanroomError`). */
export type CommandHandler<C extends CommandName> = (ctx: CommandContext, payload: CommandPayload<C>) => Promise<CommandResult<C> | void> | CommandResult<C> | void;

/** Every command's handler. */
export type CommandHandlers = { [C in CommandName]: CommandHandler<C> };

/** What the handlers need from the server. */
export interface CommandDeps {
  directory: PlanDirectory;
  runs: PlanRuns;
  clock: Clock;
  /** Names of server-side tools. */
  serverTools: ReadonlyMap<string, ToolHandler>;
  /** Where each plan's agent tools are served. */
  agents: AgentSockets;
  /** Plan size caps, and the per-agent quota on open plans. */
  limits: PlanSizeLimits & AgentQuotaLimits;
  /** The server's floor under submitted approval policies. */
  approvalRules: ApprovalRules;
  /** Whether commands are refused because the server is stopping. */
  closing(): boolean;
}

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

/** The handlers of every command (see `COMMANDS` in the wire contract). */
export function createCommandHandlers(deps: CommandDeps): CommandHandlers {
  const { directory, runs, clock } = deps;
  const joinTurns = new LoopTurns();
  const open = (): void => {
    if (deps.closing()) throw new PlanroomError("INVALID_STATE", "the server is shutting down");
  };
  /** A room's presence changed: its delta goes out coalesced (see `PresenceBroadcaster`). */
  const presenceChanged = (room: PlanRoom): void => directory.presence.changed(room);

  return {
    "session:whoami": ({ principal }) => ({ principal, voterRoles: [...deps.approvalRules.voterRoles] }),

    "plan:submit": async ({ principal, socket }, p) => {
      open();
      if (!canSubmit(principal)) throw new PlanroomError("FORBIDDEN", "only principals with the agent role may submit plans");
      const tools = [...new Set(p.tools)];
      const submittedBy = { id: principal.id, name: principal.name };
      checkSubmittedPolicy(p.approval, deps.approvalRules, { eligible: directory.eligibleVoters({ policy: p.approval, submittedBy }, deps.approvalRules.voterRoles), principal: (id) => directory.principal(id) });
      // The quota's count is checked before the plan is built (cheap), its bytes once measured.
      directory.quota.check(principal.id, { plans: 1, bytes: 0 }, deps.limits);
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
      directory.quota.check(principal.id, { plans: 1, bytes }, deps.limits);
      const room = new PlanRoom({ submitted }, directory.roomDeps);
      // Counted now, before the write: submissions racing in one tick cannot all pass the check.
      directory.quota.track(room.head, bytes);
      try {
        await room.settled();
      } catch (error) {
        directory.quota.forget(room.id);
        throw error;
      }
      directory.add(room);
      // This socket serves the plan's tools (until its submitter re-joins with `serveTools` elsewhere).
      if (tools.length > 0) deps.agents.serve(plan.id, socket);
      return { planId: plan.id, version: plan.version, seq: 1 };
    },

    "plan:revise": async ({ principal }, p) => {
      open();
      const room = directory.visible(p.planId, principal);
      const head = room.head;
      if (!canRevise(head, principal)) throw new PlanroomError("FORBIDDEN", "only the submitting agent may revise its plan");
      if (head.plan.status !== "pending_approval") throw new PlanroomError("INVALID_STATE", `plan ${room.id} is ${head.plan.status}: only a plan pending approval can be revised`);
      if (p.version !== head.plan.version) throw new PlanroomError("CONFLICT", `plan ${room.id} is at version ${head.plan.version}, the revision is of version ${p.version}`);
      const inputs: StepInput[] = p.steps ?? head.plan.steps.map((s) => ({ id: s.id, tool: s.tool, description: s.description, params: s.params, dependsOn: s.dependsOn, ...(s.retry ? { retry: s.retry } : {}) }));
      const options = ExecutionOptionsSchema.parse({ ...head.plan.options, ...(p.options ?? {}) });
      const { plan: built, paramsBytes: bytes } = buildPlan(deps, { description: p.description ?? head.plan.description, options, steps: inputs }, head.tools, { id: room.id });
      const steps = carryOver(head.plan, built.toJSON().steps);
      const next: PlanData = { ...structuredClone(head.plan), version: head.plan.version + 1, description: built.description, options: built.options, steps };
      directory.quota.check(head.submittedBy.id, { plans: 0, bytes: bytes - (directory.quota.bytesOf(room.id) ?? 0) }, deps.limits);
      const logged = room.record([{ type: "plan.revised", at: clock.now(), actor: principal.id, data: { plan: next, changes: diffPlans(head.plan, next), dismissedVotes: head.votes.length } }]);
      directory.quota.resize(room.id, bytes);
      const events = await logged;
      directory.scheduleExpiry(room);
      return { version: next.version, seq: (events[0] as { seq: number }).seq };
    },

    "plan:join": async ({ principal, socket, respond }, p) => {
      const room = directory.visible(p.planId, principal);
      const events = p.afterSeq !== undefined ? await room.eventsAfter(p.afterSeq) : [];
      // A large plan's snapshot blocks the loop while it is encoded: one join a pass, others in between.
      await joinTurns.next();
      // From here to respond(): one synchronous stretch, so the live stream continues at snapshot.seq + 1.
      const state = room.durable;
      // The submitter re-joining with serveTools (the SDK, after a reconnection) serves the plan's
      // tools from this socket; a join without it (a command line, a dashboard) never takes them.
      if (p.serveTools === true && state.submittedBy.id === principal.id && state.tools.length > 0) deps.agents.serve(room.id, socket);
      // A socket that went away during the await must not stay a member (its principal would look present for good).
      if (socket.disconnected) return;
      socket.join(planRoom(room.id));
      const presence = room.members.join(socket.id, { id: principal.id, name: principal.name, roles: principal.roles });
      const snapshot = {
        // Encoded once per seq (the server's parser writes it out as it is).
        ...room.snapshotView(),
        policy: state.policy,
        votes: state.votes,
        submittedBy: state.submittedBy,
        tools: state.tools,
        autoExecute: state.autoExecute,
        requestedAt: state.requestedAt,
        presence: presence.members,
        presenceRev: presence.rev,
        seq: state.seq,
      };
      respond({ snapshot, events });
      presenceChanged(room);
    },

    "plan:leave": ({ principal, socket }, p) => {
      const room = directory.visible(p.planId, principal);
      socket.leave(planRoom(room.id));
      if (room.members.leave(socket.id)) presenceChanged(room);
      return {};
    },

    "plan:vote": async ({ principal }, p) => {
      open();
      const room = directory.visible(p.planId, principal);
      const { events, outcome } = castVote(room.head, principal, p, clock.now(), directory.eligibleVoters(room.head, deps.approvalRules.voterRoles), deps.approvalRules.voterRoles);
      const logged = room.record(events);
      if (outcome !== "pending") directory.afterDecision(room, principal.id);
      const recorded = await logged;
      return { seq: (recorded[0] as { seq: number }).seq, outcome };
    },

    "plan:execute": async ({ principal }, p) => {
      open();
      const room = directory.visible(p.planId, principal);
      if (!canExecute(room.head, principal)) throw new PlanroomError("FORBIDDEN", "only the submitting agent or an admin may start a plan");
      return { seq: await runs.start(room, principal.id) };
    },

    "plan:cancel": async ({ principal }, p) => {
      open();
      const room = directory.visible(p.planId, principal);
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
      directory.scheduleExpiry(room);
      return { seq: (events[0] as { seq: number }).seq };
    },

    "plan:resume": async ({ principal }, p) => {
      open();
      const room = directory.visible(p.planId, principal);
      if (!canResume(room.head, principal)) throw new PlanroomError("FORBIDDEN", "only the submitting agent or an admin may resume a plan");
      if (runs.isRunning(room.id)) throw new PlanroomError("INVALID_STATE", `plan ${room.id} is running`);
      const reopened = reopenedEvent(room.head.plan, clock.now());
      // A resumed run always asks the room again, under the same policy: no approval bypass.
      const events = await room.record([{ ...reopened, actor: principal.id, data: { ...reopened.data, status: "pending_approval" } }]);
      directory.scheduleExpiry(room);
      return { seq: (events[0] as { seq: number }).seq, status: room.head.plan.status };
    },

    "plans:list": ({ principal }, p) => {
      const states = directory.visibleStates(principal).filter((s) => matchesFilter(s, p));
      const result = page(states, p.limit, p.cursor);
      if (!result) throw new PlanroomError("VALIDATION", "invalid cursor", [{ path: ["cursor"], message: "not a cursor of this server" }]);
      return { plans: result.items.map(listItem), ...(result.nextCursor !== undefined ? { nextCursor: result.nextCursor } : {}) };
    },

    "plans:watch": ({ principal, socket }, p) => {
      socket.join(watchRoomsOf(principal));
      const states = directory.visibleStates(principal).filter((s) => matchesFilter(s, p));
      return { plans: (page(states, 500)?.items ?? []).map(listItem) };
    },

    "plans:unwatch": ({ principal, socket }) => {
      for (const room of watchRoomsOf(principal)) socket.leave(room);
      return {};
    },
  };
}
