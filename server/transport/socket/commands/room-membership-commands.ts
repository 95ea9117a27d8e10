import { LoopTurns } from "../../../runtime/loop-turns.js";
import { planRoom } from "../socket-rooms.js";
import type { CommandDeps, SomeCommandHandlers } from "./command-handler.js";

/** `plan:join` and `plan:leave`: a socket enters or leaves a plan's room. */
export function roomMembershipCommands(deps: CommandDeps): SomeCommandHandlers<"plan:join" | "plan:leave"> {
  const { directory } = deps;
  const joinTurns = new LoopTurns();
  return {
    "plan:join": async ({ principal, socket, respond }, p) => {
      const room = await directory.visible(p.planId, principal);
      // In memory until the socket is a member (or gave up): between the awaits, an idle finished room could leave.
      const release = directory.hold(room);
      try {
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
        void socket.join(planRoom(room.id));
        const presence = room.join(socket.id, { id: principal.id, name: principal.name, roles: principal.roles });
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
      } finally {
        release();
      }
    },

    "plan:leave": async ({ principal, socket }, p) => {
      const room = await directory.visible(p.planId, principal);
      void socket.leave(planRoom(room.id));
      room.leave(socket.id);
      return {};
    },
  };
}
