import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server, type Socket } from "socket.io";
import { DEFAULT_VOTER_ROLES, type Ack, type ClientToServerEvents, type CommandInput, type CommandResult, type ErrorCode, type ServerToClientEvents, type ToolInvoke, type ToolResult } from "../../shared/index.js";
import { PlanLog } from "./plan-log.js";

/** The mini server's Socket.IO server and sockets, typed by the Planroom wire (`shared/protocol.ts`). */
type MiniIo = Server<ClientToServerEvents, ServerToClientEvents>;
type MiniSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

/**
 * A tiny Socket.IO server speaking enough of the Planroom wire for SDK tests: `plan:join` (with
 * `afterSeq` replay), `plan:leave`, `plan:submit`, `plans:watch`, `session:whoami`; token `bad` is refused. Its
 * plans live outside the server, so a "restart" on the same port keeps them.
 */
export class MiniServer {
  readonly plans = new Map<string, PlanLog>();
  readonly joins: CommandInput<"plan:join">[] = [];
  readonly leaves: { token: string; planId: string }[] = [];
  /** How the next `plan:join`s are answered, one entry each: `"silent"` (no answer) or an error code; empty: normally. */
  readonly joinScript: ("silent" | ErrorCode)[] = [];
  port = 0;
  silent = false;
  #io: MiniIo | undefined;
  readonly #sockets = new Map<string, MiniSocket>();

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const http = createServer();
    const io: MiniIo = new Server(http);
    io.use((socket, next) => (socket.handshake.auth.token === "bad" ? next(new Error("unknown token")) : next()));
    io.on("connection", (socket) => {
      this.#sockets.set(String(socket.handshake.auth.token), socket);
      socket.emit("session:limits", { maxMessageBytes: 1_000_000 });
      socket.on("session:whoami", (_p, ack) => ack({ ok: true, principal: { id: "agent-1", name: "Agent", roles: ["agent"] }, voterRoles: [...DEFAULT_VOTER_ROLES] }));
      socket.on("plan:join", (p, ack) => {
        if (this.silent) return;
        const scripted = this.joinScript.shift();
        if (scripted === "silent") return;
        if (scripted !== undefined) return ack({ ok: false, error: { code: scripted, message: `scripted ${scripted}` } });
        this.joins.push(p);
        const log = this.plans.get(p.planId);
        if (!log) return ack({ ok: false, error: { code: "NOT_FOUND", message: `no plan ${p.planId}` } });
        void socket.join(p.planId);
        ack({ ok: true, snapshot: log.snapshot(), events: log.after(p.afterSeq) });
      });
      socket.on("plan:leave", (p, ack) => {
        this.leaves.push({ token: String(socket.handshake.auth.token), planId: p.planId });
        void socket.leave(p.planId);
        // An empty result is typed `Record<string, never>`, which `{ ok: true }` cannot satisfy by inference.
        ack({ ok: true } as Ack<CommandResult<"plan:leave">>);
      });
      socket.on("plan:submit", (p, ack) => {
        const id = `p${this.plans.size + 1}`;
        const log = new PlanLog(id, p.plan, { tools: p.tools });
        this.plans.set(id, log);
        ack({ ok: true, planId: id, version: 1, seq: 1 });
      });
      socket.on("plans:watch", (_p, ack) => ack({ ok: true, plans: [] }));
    });
    await new Promise<void>((resolve) => http.listen(this.port, "127.0.0.1", resolve));
    this.port = (http.address() as AddressInfo).port;
    this.#io = io;
  }

  /** Appends an event and broadcasts it to the plan's room. */
  publish(planId: string, body: Parameters<PlanLog["append"]>[0]): void {
    const event = this.plans.get(planId)!.append(body);
    this.#io?.to(planId).emit("plan:event", event);
  }

  /** Calls a tool on the current socket of the client holding `token`. */
  async invoke(token: string, request: ToolInvoke): Promise<ToolResult> {
    return this.#sockets.get(token)!.timeout(5_000).emitWithAck("tool:invoke", request);
  }

  async stop(): Promise<void> {
    const io = this.#io;
    this.#io = undefined;
    if (io) await io.close();
  }
}
