import type { Socket } from "socket.io";
import { PlanroomError, ToolResultSchema, type JsonValue, type ToolInvoke } from "../shared/index.js";
import type { Clock } from "./clock.js";
import { cancellationOf } from "./step-failure.js";
import type { ToolContext, ToolHandler } from "./tool-context.js";

/** An error a remote tool reported, with the agent's own code (e.g. `TOOL_ERROR`). */
export class RemoteToolError extends Error {
  override readonly name = "RemoteToolError";
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Waiter = (socket: Socket | undefined) => void;

/**
 * The sockets that serve agents' own tools, by principal id, and `tool:invoke` proxies that call
 * them. A socket serves its agent's tools once it submits a plan with tools or, as that plan's
 * submitter, joins its room (what the SDK does after reconnecting); a new connection of an agent
 * that has no connected tool socket is taken meanwhile, but another connection with the same token
 * (a command line, a dashboard) never takes the tools from a connected one. A call due while the
 * agent is away waits up to a grace period for it to come back.
 */
export class AgentSockets {
  private readonly sockets = new Map<string, Socket>();
  private readonly waiters = new Map<string, Set<Waiter>>();

  constructor(
    private readonly clock: Clock,
    private readonly graceMs: number,
  ) {}

  /** Makes `socket` the current socket of its agent and wakes calls waiting for it. */
  attach(principalId: string, socket: Socket): void {
    this.sockets.set(principalId, socket);
    const waiting = this.waiters.get(principalId);
    if (waiting) {
      this.waiters.delete(principalId);
      for (const wake of waiting) wake(socket);
    }
  }

  /**
   * Makes `socket` its agent's current socket only if the agent has no connected one: a reconnected
   * agent is found again at once, but a second connection does not take the tools over.
   */
  offer(principalId: string, socket: Socket): void {
    if (!this.current(principalId)) this.attach(principalId, socket);
  }

  /** Forgets `socket` if it is still its agent's current socket. */
  detach(principalId: string, socket: Socket): void {
    if (this.sockets.get(principalId) === socket) this.sockets.delete(principalId);
  }

  /** The agent's current socket, if it is connected. */
  current(principalId: string): Socket | undefined {
    const socket = this.sockets.get(principalId);
    return socket?.connected ? socket : undefined;
  }

  /** Waits for the agent's socket up to `ms` (or until `signal` aborts). */
  waitFor(principalId: string, ms: number, signal: AbortSignal): Promise<Socket | undefined> {
    const now = this.current(principalId);
    if (now || ms <= 0 || signal.aborted) return Promise.resolve(now);
    return new Promise((resolve) => {
      let set = this.waiters.get(principalId);
      if (!set) this.waiters.set(principalId, (set = new Set()));
      const done: Waiter = (socket) => {
        this.clock.clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        this.waiters.get(principalId)?.delete(done);
        resolve(socket);
      };
      const onAbort = (): void => done(undefined);
      const timer = this.clock.setTimeout(() => done(undefined), ms);
      signal.addEventListener("abort", onAbort, { once: true });
      set.add(done);
    });
  }

  /** A tool handler that runs `tool` on the agent's socket through `tool:invoke`. */
  proxy(principalId: string, tool: string): ToolHandler {
    return (params, ctx) => this.invoke(principalId, tool, params, ctx);
  }

  /** Handlers for every tool an agent declared. */
  proxies(principalId: string, tools: readonly string[]): Map<string, ToolHandler> {
    return new Map(tools.map((t) => [t, this.proxy(principalId, t)]));
  }

  private async invoke(principalId: string, tool: string, params: Record<string, JsonValue>, ctx: ToolContext): Promise<JsonValue> {
    const wait = Math.min(this.graceMs, Math.max(0, ctx.deadline - this.clock.now()));
    const socket = await this.waitFor(principalId, wait, ctx.signal);
    if (ctx.signal.aborted) throw abortError(ctx.signal);
    if (!socket) throw new PlanroomError("AGENT_DISCONNECTED", `agent ${principalId} is not connected to run "${tool}" (waited ${wait} ms for it to reconnect)`);
    const remaining = ctx.deadline - this.clock.now();
    if (remaining <= 0) throw new PlanroomError("TIMEOUT", `step ${ctx.step.id} reached its deadline before "${tool}" could be called`);
    const request: ToolInvoke = {
      planId: ctx.plan.id,
      stepId: ctx.step.id,
      tool,
      params,
      attempt: ctx.attempt,
      idempotencyKey: ctx.idempotencyKey,
      deadline: ctx.deadline,
      dependencies: ctx.dependencies,
    };
    const cancel = (reason: string): void => {
      if (socket.connected) socket.emit("tool:cancel", { idempotencyKey: ctx.idempotencyKey, reason });
    };
    let cleanup = (): void => {};
    const interrupted = new Promise<never>((_, reject) => {
      const onAbort = (): void => {
        cancel(reasonText(ctx.signal.reason));
        reject(abortError(ctx.signal));
      };
      const onDisconnect = (): void => reject(new PlanroomError("AGENT_DISCONNECTED", `agent ${principalId} disconnected while running "${tool}" (step ${ctx.step.id})`));
      ctx.signal.addEventListener("abort", onAbort, { once: true });
      socket.once("disconnect", onDisconnect);
      cleanup = () => {
        ctx.signal.removeEventListener("abort", onAbort);
        socket.off("disconnect", onDisconnect);
      };
    });
    let answer: unknown;
    try {
      answer = await Promise.race([socket.timeout(remaining).emitWithAck("tool:invoke", request), interrupted]);
    } catch (e) {
      if (e instanceof PlanroomError) throw e;
      cancel("the server stopped waiting for this attempt");
      throw new PlanroomError("TIMEOUT", `"${tool}" did not answer within ${remaining} ms (step ${ctx.step.id})`);
    } finally {
      cleanup();
    }
    const parsed = ToolResultSchema.safeParse(answer);
    if (!parsed.success) throw new RemoteToolError("TOOL_ERROR", `agent ${principalId} answered "${tool}" with an invalid result: ${parsed.error.issues[0]?.message ?? "unknown problem"}`);
    if (!parsed.data.ok) throw new RemoteToolError(parsed.data.error.code, parsed.data.error.message);
    return parsed.data.result ?? null;
  }
}

function reasonText(reason: unknown): string {
  return cancellationOf(reason).reason;
}

function abortError(signal: AbortSignal): PlanroomError {
  return new PlanroomError("CANCELLED", reasonText(signal.reason));
}
