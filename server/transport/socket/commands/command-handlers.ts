import type { CommandDeps, CommandHandlers } from "./command-handler.js";
import { planAuthoringCommands } from "./plan-authoring-commands.js";
import { planDecisionCommands } from "./plan-decision-commands.js";
import { planListCommands } from "./plan-list-commands.js";
import { roomMembershipCommands } from "./room-membership-commands.js";

/** The handlers of every command (see `COMMANDS` in the wire contract); the type fails to compile when one is missing. */
export function createCommandHandlers(deps: CommandDeps): CommandHandlers {
  return { ...planListCommands(deps), ...planAuthoringCommands(deps), ...roomMembershipCommands(deps), ...planDecisionCommands(deps) };
}
