import { io, type ManagerOptions, type SocketOptions } from "socket.io-client";
import {
  ExecutionPlan,
  PlanroomError,
  PresenceDeltaSchema,
  SessionLimitsSchema,
  type ApprovalPolicyInput,
  type CommandInput,
  type CommandName,
  type CommandResult,
  type PlanEvent,
  type PlanInput,
  type Principal,
} from "../shared/index.js";
import { checkCommandInput, emitCommand, type PlanroomSocket } from "./command.js";
import { describeConnectFailure } from "./connect-failure.js";
import { checkMessageSize } from "./message-size.js";
import { checkServerUrl } from "./server-url.js";
import { ListenerHub } from "./listener-hub.js";
import { PlanHandle } from "./plan-handle.js";
import { RoomHandle } from "./room-handle.js";
import { ToolServer, type ToolMap } from "./tool-server.js";
import { WatchHandle, type WatchFilter } from "./watch-handle.js";

/** How long the first command waits for `session:limits` after connecting. */
const LIMITS_WAIT_MS = 500;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer: unknown = setTimeout(resolve, ms);
    // Node: a pending wait must not keep the process alive (browsers have no unref).
    (timer as { unref?: () => void }).unref?.();
  });
}

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** The bearer token the server maps to a principal. */
  token: string;
  /** How long a command may wait (for the connection and for its ack); default 10 s. */
  commandTimeoutMs?: number;
  /** Passed to socket.io-client (e.g. `transports`, default `["websocket"]`; reconnection delays). */
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
}

/** The state of the client's connection. */
export type ConnectionState = "connecting" | "connected" | "reconnecting" | "disconnected";

/** Options of {@link PlanroomClient.submit}. */
export interface SubmitOptions {
  /** Who must approve, and how many. */
  approval?: ApprovalPolicyInput;
  /** Tools this agent serves itself, by name. */
  tools?: ToolMap;
  /** Start the plan as soon as it is approved (default true; `false`: it waits for `execute()`). */
  autoExecute?: boolean;
}

/** Turns an `ExecutionPlan` (or plan input) into the submission payload's `plan`. */
export function toPlanInput(plan: ExecutionPlan | PlanInput): PlanInput {
  if (!(plan instanceof ExecutionPlan)) return plan;
  return {
    description: plan.description,
    options: plan.options,
    steps: plan.steps.map((s) => ({ id: s.id, tool: s.tool, description: s.description, params: s.params, dependsOn: s.dependsOn, ...(s.retry ? { retry: s.retry } : {}) })),
  };
}

/**
 * A connection to a Planroom server, for agents (submit plans and serve their tools), reviewers
 * (join rooms and vote) and observers (watch every plan). Reconnection is handled inside: after
 * any disconnect the client re-joins its rooms with `afterSeq`, re-watches, and keeps serving tools.
 * Runs in Node and in browsers.
 */
export class PlanroomClient {
  /** The server's URL. */
  readonly url: string;
  readonly #socket: PlanroomSocket;
  readonly #timeoutMs: number;
  readonly #rooms = new Map<string, Set<RoomHandle>>();
  readonly #watches = new Set<WatchHandle>();
  readonly #tools = new ToolServer();
  readonly #hub = new ListenerHub<{ connection: (state: ConnectionState) => void; fatal: (error: PlanroomError) => void; unreachable: (error: PlanroomError) => void }>();
  #state: ConnectionState = "connecting";
  #everConnected = false;
  #fatal: PlanroomError | undefined;
  #lastError: string | undefined;
  /** The server's largest message, once it said (`session:limits`). */
  #maxMessageBytes: number | undefined;
  /** Settles when `session:limits` first arrives (it follows the connection at once). */
  #limitsArrived!: () => void;
  readonly #limitsKnown = new Promise<void>((resolve) => (this.#limitsArrived = resolve));
  #limitsAwaited = false;
  /** Set while the client has never been connected and its last attempt failed at the network (see `describeConnectFailure`). */
  #unreachable: PlanroomError | undefined;

  /** Use {@link connect}. Throws `VALIDATION` for a URL that is not `http://` or `https://`. */
  constructor(url: string, options: ConnectOptions) {
    this.url = checkServerUrl(url);
    this.#timeoutMs = options.commandTimeoutMs ?? 10_000;
    this.#socket = io(this.url, {
      auth: { token: options.token },
      // The token as a header too (Node only; browsers send no headers with a WebSocket): a server
      // that blocks this address after failed logins from it (a shared NAT, a flood) still lets a
      // handshake with a valid bearer token through.
      extraHeaders: { authorization: `Bearer ${options.token}` },
      // WebSocket straight away: no long-polling handshake to upgrade from (override with socketOptions.transports).
      transports: ["websocket"],
      reconnectionDelay: 250,
      reconnectionDelayMax: 2_000,
      ...options.socketOptions,
    });
    const socket = this.#socket;
    socket.on("connect", () => {
      const again = this.#everConnected;
      this.#everConnected = true;
      this.#lastError = undefined;
      this.#unreachable = undefined;
      this.#setState("connected");
      if (again) this.#resync();
    });
    socket.on("disconnect", () => {
      // Presence changes of this connection mean nothing to the next one (a restarted server counts anew).
      for (const handles of this.#rooms.values()) for (const handle of handles) handle.connectionLost();
      this.#setState(socket.active ? "reconnecting" : "disconnected");
    });
    socket.on("connect_error", (error: Error & { data?: unknown; type?: unknown; description?: unknown }) => {
      const unreachable = describeConnectFailure(this.url, error);
      this.#lastError = unreachable ?? error.message;
      if (!socket.active) {
        // The server refused the handshake (middleware error): retrying would not help.
        this.#fatal = new PlanroomError("UNAUTHENTICATED", `${this.url} refused the connection: ${error.message}`);
        // Handles of a client that will never reconnect must not wait forever (e.g. a revoked token).
        this.#closeHandles(this.#fatal);
        this.#setState("disconnected");
        this.#hub.emit("fatal", this.#fatal);
      } else if (this.#everConnected) {
        this.#setState("reconnecting");
      } else if (unreachable !== undefined) {
        // Never connected, and the attempt failed at the network: commands waiting for the
        // connection fail now, with the reason, instead of at their timeout. The socket keeps
        // trying, so a later command succeeds once the server is there.
        this.#unreachable = new PlanroomError("UNREACHABLE", unreachable, { cause: error });
        this.#hub.emit("unreachable", this.#unreachable);
      }
    });
    socket.on("session:limits", (message: unknown) => {
      const limits = SessionLimitsSchema.safeParse(message);
      if (!limits.success) return;
      this.#maxMessageBytes = limits.data.maxMessageBytes;
      this.#limitsArrived();
    });
    socket.on("plan:event", (event: PlanEvent) => this.#dispatchEvent(event));
    socket.on("presence:delta", (message: unknown) => {
      const delta = PresenceDeltaSchema.safeParse(message);
      if (!delta.success) return;
      for (const handle of this.#rooms.get(delta.data.planId) ?? []) handle.receivePresence(delta.data);
    });
    socket.on("tool:invoke", (request, ack) => this.#tools.invoke(request, ack));
    socket.on("tool:cancel", (request) => this.#tools.cancel(request));
  }

  /** The connection's state. */
  get connectionState(): ConnectionState {
    return this.#state;
  }

  /** Why the last connection attempt failed, if it did. */
  get lastConnectError(): string | undefined {
    return this.#lastError;
  }

  /** Listens to connection state changes; returns an unsubscribe function. */
  on(event: "connection", listener: (state: ConnectionState) => void): () => void {
    return this.#hub.on(event, listener);
  }

  /**
   * Sends one command (typed by the shared `COMMANDS` map). Waits for the connection if needed;
   * the whole command is bounded by the command timeout. Rejects with a `PlanroomError`.
   */
  async command<C extends CommandName>(name: C, payload: CommandInput<C>): Promise<CommandResult<C>> {
    checkCommandInput(name, payload);
    const deadline = Date.now() + this.#timeoutMs;
    await this.#whenConnected(deadline, name);
    // Right after the first connection the limits may be a packet away; a server that never sends
    // them (an older one) costs the first command this short wait (at most a quarter of its time), once.
    if (!this.#limitsAwaited) {
      await Promise.race([this.#limitsKnown, delay(Math.min(LIMITS_WAIT_MS, Math.max(0, deadline - Date.now()) / 4))]);
      this.#limitsAwaited = true;
    }
    checkMessageSize(name, payload, this.#maxMessageBytes);
    return emitCommand(this.#socket, name, payload, Math.max(1, deadline - Date.now()));
  }

  /** Who this client is authenticated as. */
  async whoami(): Promise<Principal> {
    return (await this.command("session:whoami", {})).principal;
  }

  /** Lists plans (paged). */
  list(filter: CommandInput<"plans:list"> = {}): Promise<CommandResult<"plans:list">> {
    return this.command("plans:list", filter);
  }

  /**
   * Submits a plan for approval, serves its `tools` (`tool:invoke`) and joins its room. The returned
   * handle follows the plan live.
   */
  async submit(plan: ExecutionPlan | PlanInput, options: SubmitOptions = {}): Promise<PlanHandle> {
    const tools = options.tools ?? {};
    const release = this.#tools.holdUnassigned(tools);
    try {
      const { planId } = await this.command("plan:submit", {
        plan: toPlanInput(plan),
        tools: Object.keys(tools),
        ...(options.approval !== undefined ? { approval: options.approval } : {}),
        autoExecute: options.autoExecute ?? true,
      });
      this.#tools.register(planId, tools);
      const handle = new PlanHandle(this, planId, Object.keys(tools).length > 0);
      await this.#attach(handle);
      return handle;
    } finally {
      release();
    }
  }

  /** Joins a plan's room (reviewer or observer view). */
  async join(planId: string): Promise<RoomHandle> {
    const handle = new RoomHandle(this, planId);
    await this.#attach(handle);
    return handle;
  }

  /** Follows every plan this principal may see (optionally filtered). */
  async watch(filter: WatchFilter = {}): Promise<WatchHandle> {
    const handle = new WatchHandle(this, filter);
    this.#watches.add(handle);
    try {
      const { plans } = await this.command("plans:watch", this.#watchFilter());
      handle.reset(plans);
    } catch (error) {
      this.#watches.delete(handle);
      throw error;
    }
    return handle;
  }

  /** Ends every room handle with `error` (their waits reject) and forgets every watch. */
  #closeHandles(error: PlanroomError): void {
    for (const set of this.#rooms.values()) for (const handle of set) handle.close(error);
    this.#rooms.clear();
    this.#watches.clear();
  }

  /** Closes the connection: handles stop, pending waits reject, running tool calls are aborted. */
  close(): void {
    const error = new PlanroomError("INTERRUPTED", "the client was closed");
    this.#fatal ??= error;
    this.#closeHandles(error);
    this.#tools.abortAll("the client was closed");
    this.#socket.disconnect();
    this.#setState("disconnected");
    this.#hub.emit("fatal", this.#fatal);
  }

  /** @internal Forgets a handle; true when it was the last one of its plan (the client may then leave the plan's room). */
  detachRoom(handle: RoomHandle): boolean {
    const set = this.#rooms.get(handle.planId);
    if (!set?.delete(handle)) return false;
    if (set.size > 0) return false;
    this.#rooms.delete(handle.planId);
    this.#tools.unregister(handle.planId);
    return true;
  }

  /** @internal */
  async detachWatch(handle: WatchHandle): Promise<void> {
    if (!this.#watches.delete(handle)) return;
    if (this.#watches.size === 0) await this.command("plans:unwatch", {});
    else await this.command("plans:watch", this.#watchFilter());
  }

  async #attach(handle: RoomHandle): Promise<void> {
    let set = this.#rooms.get(handle.planId);
    if (!set) this.#rooms.set(handle.planId, (set = new Set()));
    set.add(handle);
    try {
      await handle.sync();
    } catch (error) {
      this.detachRoom(handle);
      handle.close(error instanceof PlanroomError ? error : new PlanroomError("INTERNAL", String(error)));
      throw error;
    }
  }

  /** One server-side watch serves every handle: the filter of a lone handle, else everything (handles filter locally). */
  #watchFilter(): CommandInput<"plans:watch"> {
    const [only, ...others] = [...this.#watches];
    return only && others.length === 0 ? { ...only.filter } : {};
  }

  #dispatchEvent(event: PlanEvent): void {
    if (typeof event !== "object" || event === null || typeof event.planId !== "string") return;
    for (const handle of this.#rooms.get(event.planId) ?? []) handle.receive(event);
    for (const watch of this.#watches) watch.receive(event);
  }

  /** After a reconnection: re-join every room from its last seq (retried until it succeeds or fails for good) and re-watch. */
  #resync(): void {
    for (const set of this.#rooms.values()) for (const handle of set) handle.resync();
    if (this.#watches.size > 0) {
      this.command("plans:watch", this.#watchFilter())
        .then(({ plans }) => {
          for (const watch of this.#watches) watch.reset(plans);
        })
        .catch(() => undefined);
    }
  }

  #setState(state: ConnectionState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#hub.emit("connection", state);
  }

  #whenConnected(deadline: number, name: string): Promise<void> {
    if (this.#fatal) return Promise.reject(this.#fatal);
    if (this.#socket.connected) return Promise.resolve();
    if (this.#unreachable) return Promise.reject(this.#unreachable);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        done();
        const why = this.#lastError ? `: ${this.#lastError}` : "";
        reject(new PlanroomError("TIMEOUT", `${name}: not connected to ${this.url}${why}`));
      }, Math.max(0, deadline - Date.now()));
      const offState = this.#hub.on("connection", (state) => {
        if (state === "connected") {
          done();
          resolve();
        }
      });
      const offFatal = this.#hub.on("fatal", (error) => {
        done();
        reject(error);
      });
      const offUnreachable = this.#hub.on("unreachable", (error) => {
        done();
        reject(error);
      });
      const done = (): void => {
        clearTimeout(timer);
        offState();
        offFatal();
        offUnreachable();
      };
    });
  }
}

/**
 * Connects to a Planroom server. The connection is made in the background; commands wait for it.
 * Throws `VALIDATION` for a URL that is not `http://` or `https://` (with a hint).
 */
export function connect(url: string, options: ConnectOptions): PlanroomClient {
  return new PlanroomClient(url, options);
}
