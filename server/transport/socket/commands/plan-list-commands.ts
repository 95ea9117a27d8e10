import { encodeCursor, planListQuery } from "../../../rooms/plan-list.js";
import { watchRoomsOf } from "../socket-rooms.js";
import type { CommandDeps, SomeCommandHandlers } from "./command-handler.js";

/** The most rows `plans:watch` answers with. */
const WATCH_ROWS = 500;

/** `session:whoami`, `plans:list`, `plans:watch` and `plans:unwatch`: what a principal may see. */
export function planListCommands(deps: CommandDeps): SomeCommandHandlers<"session:whoami" | "plans:list" | "plans:watch" | "plans:unwatch"> {
  const { directory } = deps;
  const { voterRoles } = deps.approvalRules;
  return {
    "session:whoami": ({ principal }) => ({ principal, voterRoles: [...voterRoles] }),

    "plans:list": async ({ principal }, p) => {
      const { limit, cursor, ...filter } = p;
      const page = await directory.list(planListQuery(principal, filter, { limit, cursor }, voterRoles));
      return { plans: page.plans, ...(page.next ? { nextCursor: encodeCursor(page.next) } : {}) };
    },

    "plans:watch": async ({ principal, socket, respond }, p) => {
      void socket.join(watchRoomsOf(principal));
      const query = planListQuery(principal, p, { limit: WATCH_ROWS }, voterRoles);
      const page = await directory.indexPage(query);
      // The rows and the answer in one synchronous stretch: every event broadcast after it is newer than its row.
      respond({ plans: directory.rowsOf(page, query).plans });
    },

    "plans:unwatch": ({ principal, socket }) => {
      for (const room of watchRoomsOf(principal)) void socket.leave(room);
      return {};
    },
  };
}
