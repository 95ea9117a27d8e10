import type { Server, Socket } from "socket.io";
import type { ClientToServerEvents, ServerToClientEvents, SocketData } from "../../../shared/index.js";

/** The server's Socket.IO server, typed by the wire contract (`shared/protocol.ts`). */
export type PlanroomIo = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/** One client's socket, typed by the wire contract. */
export type PlanroomSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
