import type { SessionLimits } from "../../../shared/index.js";
import type { PrincipalRegistry } from "../../auth/principals.js";
import type { RoomDirectory } from "../../rooms/room-directory.js";
import type { Logger } from "../../runtime/logger.js";
import type { ServerMetrics } from "../../runtime/server-metrics.js";
import type { RateBudget } from "../rate-budget.js";
import type { AgentSockets } from "./agent-sockets.js";
import type { CommandHandlers } from "./commands/command-handler.js";
import { attachDispatch } from "./dispatch.js";
import type { HandshakeGate } from "./handshake-gate.js";
import type { PlanroomIo } from "./planroom-io.js";
import type { PrincipalSockets } from "./principal-sockets.js";
import { PLAN_ROOM_PREFIX } from "./socket-rooms.js";

/** What the connection handling needs from the server. */
export interface SocketConnectionsDeps {
  gate: HandshakeGate;
  registry: PrincipalRegistry;
  principalSockets: PrincipalSockets;
  handlers: CommandHandlers;
  directory: RoomDirectory;
  agents: AgentSockets;
  /** The principals' budget, which every command consumes from (see `attachDispatch`). */
  budget: RateBudget;
  /** What each socket is told once connected (`session:limits`): the largest message the server takes. */
  limits: SessionLimits;
  log: Logger;
  /** Where the dispatch counts commands. */
  metrics?: ServerMetrics;
}

/**
 * A socket's life on the server. At the handshake (`io.use`): a blocked address is refused, then
 * `auth.token` must name a principal (`UNAUTHENTICATED`, counted as a failed authentication), and
 * the principal must have a socket slot left (`QUOTA_EXCEEDED`); a refused handshake also closes
 * its transport, so one connection cannot go on trying tokens. Once connected, every command goes
 * through the dispatch; it is first told the server's limits (`session:limits`). When it goes, the socket stops serving agent tools and leaves the plan rooms it was in.
 */
export function attachSocketConnections(io: PlanroomIo, deps: SocketConnectionsDeps): void {
  io.use((socket, next) => {
    const refuse = (message: string): void => {
      next(new Error(message));
      process.nextTick(() => socket.conn.close());
    };
    // Not `socket.handshake.address` (the TCP peer): behind a trusted proxy, the client it forwards for.
    const address = deps.gate.addressOf(socket.conn.request);
    const blocked = deps.gate.refusal(address, socket.conn.request);
    if (blocked !== undefined) return refuse(blocked);
    const auth: unknown = socket.handshake.auth;
    const token = typeof auth === "object" && auth !== null ? (auth as { token?: unknown }).token : undefined;
    const principal = deps.registry.authenticate(token);
    if (!principal) {
      deps.gate.failed(address);
      return refuse("UNAUTHENTICATED: missing or unknown token");
    }
    if (!deps.principalSockets.admit(socket, principal.id)) {
      return refuse(`QUOTA_EXCEEDED: ${principal.id} has ${deps.principalSockets.count(principal.id)} sockets connected, the most one principal may have (limits.maxSocketsPerPrincipal); close one first`);
    }
    socket.data.principal = principal;
    next();
  });
  io.on("connection", (socket) => {
    socket.emit("session:limits", deps.limits);
    attachDispatch(socket, socket.data.principal, { handlers: deps.handlers, budget: deps.budget, log: deps.log, ...(deps.metrics ? { metrics: deps.metrics } : {}) });
    socket.on("disconnect", (reason, description) => {
      // Socket.IO drops a connection whose message passes maxHttpBufferSize without a word to the client: say it here.
      if (reason === "transport error" && /max payload size exceeded/i.test(String(description))) {
        deps.log.warn(`${socket.data.principal.id}: a message over maxHttpBufferSize (${deps.limits.maxMessageBytes} bytes) dropped the connection`, { principal: socket.data.principal.id });
      }
    });
    socket.on("disconnecting", () => {
      deps.agents.detach(socket);
      for (const name of socket.rooms) {
        if (name.startsWith(PLAN_ROOM_PREFIX)) deps.directory.get(name.slice(PLAN_ROOM_PREFIX.length))?.leave(socket.id);
      }
    });
  });
}
