import { PlanroomError, type CommandName, type CommandPayload, type CommandResult, type Principal } from "../../../../shared/index.js";
import type { ApprovalRules } from "../../../rooms/approval.js";
import type { AgentQuota, AgentQuotaLimits } from "../../../rooms/agent-quota.js";
import type { PlanSizeLimits } from "../../../rooms/plan-size-limits.js";
import type { RoomDirectory } from "../../../rooms/room-directory.js";
import type { RunRegistry } from "../../../rooms/run-registry.js";
import type { PrincipalRegistry } from "../../../auth/principals.js";
import type { ToolHandler } from "../../../executor/tool-registry.js";
import type { Clock } from "../../../runtime/clock.js";
import type { AgentSockets } from "../agent-sockets.js";
import type { PlanroomSocket } from "../planroom-io.js";

/** What a command handler is given besides its payload. */
interface CommandContext {
  principal: Principal;
  socket: PlanroomSocket;
  /**
   * Sends the ack now (in the caller's tick); the dispatch then sends nothing more. `plan:join`
   * uses it so that the snapshot and the room membership start in the same tick.
   */
  respond: (result: object) => void;
}

/** A command handler: validated payload in, result out (or a thrown `PlanroomError`). */
export type CommandHandler<C extends CommandName> = (ctx: CommandContext, payload: CommandPayload<C>) => Promise<CommandResult<C> | void> | CommandResult<C> | void;

/** Every command's handler. */
export type CommandHandlers = { [C in CommandName]: CommandHandler<C> };

/** The handlers of some of the commands. */
export type SomeCommandHandlers<C extends CommandName> = { [K in C]: CommandHandler<K> };

/** What the handlers need from the server. */
export interface CommandDeps {
  directory: RoomDirectory;
  runs: RunRegistry;
  /** Open plans and their bytes per submitting agent. */
  quota: AgentQuota;
  /** The configured principals (who may vote, who a policy names). */
  registry: PrincipalRegistry;
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

/** Refuses a command that changes state while the server is stopping. */
export function ensureOpen(deps: Pick<CommandDeps, "closing">): void {
  if (deps.closing()) throw new PlanroomError("INVALID_STATE", "the server is shutting down");
}
