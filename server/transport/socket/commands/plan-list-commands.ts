import { matchesListFilter, planListRow, PlanroomError } from "../../../../shared/index.js";
import { page } from "../../../rooms/plan-list.js";
import { watchRoomsOf } from "../socket-rooms.js";
import type { CommandDeps, SomeCommandHandlers } from "./command-handler.js";

/** The most rows `plans:watch` answers with. */
const WATCH_ROWS = 500;

/** `session:whoami`, `plans:list`, `plans:watch` and `plans:unwatch`: what a principal may see. */
export function planListCommands(deps: CommandDeps): SomeCommandHandlers<"session:whoami" | "plans:list" | "plans:watch" | "plans:unwatch"> {
  const { directory } = deps;
  return {
    "session:whoami": ({ principal }) => ({ principal, voterRoles: [...deps.approvalRules.voterRoles] }),

    "plans:list": ({ principal }, p) => {
      const states = directory.visibleStates(principal).filter((s) => matchesListFilter(s, p));
      const result = page(states, p.limit, p.cursor);
      if (!result) throw new PlanroomError("VALIDATION", "invalid cursor", [{ path: ["cursor"], message: "not a cursor of this server" }]);
      return { plans: result.items.map(planListRow), ...(result.nextCursor !== undefined ? { nextCursor: result.nextCursor } : {}) };
    },

    "plans:watch": ({ principal, socket }, p) => {
      void socket.join(watchRoomsOf(principal));
      const states = directory.visibleStates(principal).filter((s) => matchesListFilter(s, p));
      return { plans: (page(states, WATCH_ROWS)?.items ?? []).map(planListRow) };
    },

    "plans:unwatch": ({ principal, socket }) => {
      for (const room of watchRoomsOf(principal)) void socket.leave(room);
      return {};
    },
  };
}
