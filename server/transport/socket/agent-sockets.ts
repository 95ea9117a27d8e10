import type { Socket } from "socket.io";
import { isErrorCode, jsonByteLength, PlanroomError, ToolResultSchema, type JsonValue, type ToolInvoke } from "../../../shared/index.js";
import type { Clock } from "../../runtime/clock.js";
import { noMetrics, type ServerMetrics } from "../../runtime/server-metrics.js";
import { cancellationOf } from "../../executor/cancellation.js";
import type { ToolContext, ToolHandler } from "../../executor/tool-registry.js";

type Watcher = (socket: Socket) => void;

/** How one send of a `tool:invoke` ended. */
type Delivery = { answer: unknown } | { moved: Socket } | { lost: true };

/**
 * The sockets that serve agents' own tools, by plan, and `tool:invoke` proxies that call them. The
 * socket that submitted a plan serves that plan's tools; a socket of the plan's submitter takes them
 * over only by joining the plan with `serveTools` (what the SDK does when it re-joins a plan it
 * submitted, e.g. after a reconnection or a server restart). Any other connection with the same
 * token (a command line, a dashboard, another process) never takes them. A call due while the
 * plan's socket is away, or whose socket drops during the call, waits up to a grace period for one
 * to serve the plan again; an interrupted call is then sent again with the same idempotency key.
 * While it waits, the attempt's deadline is paused and the step shows that it waits for its agent
 * (`ToolContext.waitForAgent`); an agent that stays away fails it with `AGENT_DISCONNECTED`.
 */
export class AgentSockets {
  /** The socket serving each plan's agent tools. */
  private readonly routes = new Map<string, Socket>();
  /** The plans each socket serves. */
  private readonly served = new Map<Socket, Set<string>>();
  /** Told when a plan gets a new serving socket. */
  private readonly watchers = new Map<string, Set<Watcher>>();

  /**
   * `limits.maxResultBytes` is told to the agent with each call (its SDK refuses to send a larger
   * result) and caps what a call carries of its dependencies' results (`PARAMS_TOO_LARGE` above it).
   * `metrics` counts each call by outcome (`ok` or the error code).
   */
  constructor(
    private readonly clock: Clock,
    private readonly graceMs: number,
    private readonly limits: { maxResultBytes?: number } = {},
    private readonly metrics: Pick<ServerMetrics, "remoteToolCall"> = noMetrics,
  ) {}

  /** Makes `socket` serve the agent tools of `planId` and wakes the calls waiting for one. */
  serve(planId: string, socket: Socket): void {
    if (!socket.connected) return;
    const before = this.routes.get(planId);
    if (before === socket) return;
    if (before) this.forget(before, planId);
    this.routes.set(planId, socket);
    let plans = this.served.get(socket);
    if (!plans) this.served.set(socket, (plans = new Set()));
    plans.add(planId);
    for (const watcher of [...(this.watchers.get(planId) ?? [])]) watcher(socket);
  }

  /** A socket is going away: the plans it served wait for another one. */
  detach(socket: Socket): void {
    const plans = this.served.get(socket);
    if (!plans) return;
    this.served.delete(socket);
    for (const planId of plans) if (this.routes.get(planId) === socket) this.routes.delete(planId);
  }

  /** The socket serving the plan's agent tools, if it is connected. */
  current(planId: string): Socket | undefined {
    const socket = this.routes.get(planId);
    return socket?.connected ? socket : undefined;
  }

  /** Waits up to `ms` (or until `signal` aborts) for a socket to serve the plan. */
  waitFor(planId: string, ms: number, signal: AbortSignal): Promise<Socket | undefined> {
    const now = this.current(planId);
    if (now || ms <= 0 || signal.aborted) return Promise.resolve(now);
    return new Promise((resolve) => {
      const done = (socket: Socket | undefined): void => {
        this.clock.clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        unwatch();
        resolve(socket);
      };
      const onAbort = (): void => done(undefined);
      const timer = this.clock.setTimeout(() => done(undefined), ms);
      const unwatch = this.watch(planId, done);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** A tool handler that runs `tool` through `tool:invoke` on the socket serving `planId`. */
  proxy(planId: string, principalId: string, tool: string): ToolHandler {
    return async (params, ctx) => {
      try {
        const result = await this.invoke(planId, principalId, tool, params, ctx);
        this.metrics.remoteToolCall("ok");
        return result;
      } catch (error) {
        this.metrics.remoteToolCall(error instanceof PlanroomError ? error.code : "INTERNAL");
        throw error;
      }
    };
  }

  /** Handlers for every tool the plan's submitter declared. */
  proxies(planId: string, principalId: string, tools: readonly string[]): Map<string, ToolHandler> {
    return new Map(tools.map((t) => [t, this.proxy(planId, principalId, t)]));
  }

  private forget(socket: Socket, planId: string): void {
    const plans = this.served.get(socket);
    plans?.delete(planId);
    if (plans?.size === 0) this.served.delete(socket);
  }

  private watch(planId: string, watcher: Watcher): () => void {
    let set = this.watchers.get(planId);
    if (!set) this.watchers.set(planId, (set = new Set()));
    set.add(watcher);
    return () => {
      set.delete(watcher);
      if (set.size === 0 && this.watchers.get(planId) === set) this.watchers.delete(planId);
    };
  }

  /**
   * How long a call waits for the plan's socket: the grace period. Where the wait cannot pause the
   * attempt's deadline (a context without `waitForAgent`), it stays within the deadline.
   */
  private graceFor(ctx: ToolContext): number {
    if (ctx.waitForAgent) return this.graceMs;
    return Math.min(this.graceMs, Math.max(0, ctx.deadline - this.clock.now()));
  }

  /**
   * Waits for a socket to serve the plan, as {@link waitFor}, with the attempt's deadline paused
   * and the wait shown on the step while no socket does; the deadline counts again once one does.
   */
  private async agentFor(planId: string, tool: string, ms: number, ctx: ToolContext): Promise<Socket | undefined> {
    const now = this.current(planId);
    if (now || ms <= 0 || ctx.signal.aborted) return now;
    const resume = ctx.waitForAgent?.(tool);
    const socket = await this.waitFor(planId, ms, ctx.signal);
    // An agent that stays away fails the step; that end clears the wait (no resume is recorded).
    if (socket && !ctx.signal.aborted) resume?.();
    return socket;
  }

  private async invoke(planId: string, principalId: string, tool: string, params: Record<string, JsonValue>, ctx: ToolContext): Promise<JsonValue> {
    const wait = this.graceFor(ctx);
    let socket = await this.agentFor(planId, tool, wait, ctx);
    if (ctx.signal.aborted) throw abortError(ctx.signal);
    if (!socket) throw new PlanroomError("AGENT_DISCONNECTED", `agent ${principalId} is not connected to run "${tool}" (waited ${wait} ms for it to reconnect)`);
    const max = this.limits.maxResultBytes;
    const dependencies = ctx.dependencies;
    if (max !== undefined && jsonByteLength(dependencies, max) > max) {
      throw new PlanroomError("PARAMS_TOO_LARGE", `step "${ctx.step.id}": the results of its dependencies hold more than ${max} bytes, more than a call to an agent's tool may carry; pass the parts the tool needs with $ref`);
    }
    const request: ToolInvoke = {
      planId,
      stepId: ctx.step.id,
      tool,
      params,
      attempt: ctx.attempt,
      idempotencyKey: ctx.idempotencyKey,
      deadline: ctx.deadline,
      dependencies,
      ...(max !== undefined ? { maxResultBytes: max } : {}),
    };
    let sent = false;
    for (;;) {
      const remaining = ctx.deadline - this.clock.now();
      if (remaining <= 0) {
        if (!sent) throw new PlanroomError("TIMEOUT", `step ${ctx.step.id} reached its deadline before "${tool}" could be called`);
        this.cancel(planId, socket, ctx.idempotencyKey, "the server stopped waiting for this attempt");
        throw new PlanroomError("TIMEOUT", `"${tool}" did not answer by its deadline (step ${ctx.step.id})`);
      }
      sent = true;
      // A wait for the agent moved the deadline.
      request.deadline = ctx.deadline;
      const delivery = await this.send(planId, socket, request, remaining, ctx.signal);
      if ("answer" in delivery) return answerOf(delivery.answer, principalId, tool);
      if ("moved" in delivery) {
        // The agent serves the plan from a new socket (the old one may not know yet that it is gone).
        socket = delivery.moved;
        continue;
      }
      // The socket dropped mid-call: the agent usually reconnects at once and, asked again with the
      // same idempotency key, answers from the run it already started.
      const back = this.graceFor(ctx);
      const next = await this.agentFor(planId, tool, back, ctx);
      if (ctx.signal.aborted) {
        this.cancel(planId, undefined, ctx.idempotencyKey, reasonText(ctx.signal.reason));
        throw abortError(ctx.signal);
      }
      if (!next) throw new PlanroomError("AGENT_DISCONNECTED", `agent ${principalId} disconnected while running "${tool}" (step ${ctx.step.id}) and did not come back within ${back} ms`);
      socket = next;
    }
  }

  /** Sends `request` on `socket` once; settles with the answer, or when the socket drops or is replaced. */
  private send(planId: string, socket: Socket, request: ToolInvoke, remaining: number, signal: AbortSignal): Promise<Delivery> {
    return new Promise<Delivery>((resolve, reject) => {
      let settled = false;
      const settle = (then: () => void): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener("abort", onAbort);
        socket.off("disconnect", onDisconnect);
        unwatch();
        then();
      };
      const onAbort = (): void =>
        settle(() => {
          this.cancel(planId, socket, request.idempotencyKey, reasonText(signal.reason));
          reject(abortError(signal));
        });
      const onDisconnect = (): void => settle(() => resolve({ lost: true }));
      const unwatch = this.watch(planId, (next) => {
        if (next !== socket) settle(() => resolve({ moved: next }));
      });
      signal.addEventListener("abort", onAbort, { once: true });
      socket.once("disconnect", onDisconnect);
      if (signal.aborted) return onAbort();
      if (!socket.connected) return onDisconnect();
      socket
        .timeout(remaining)
        .emitWithAck("tool:invoke", request)
        .then(
          (answer: unknown) => settle(() => resolve({ answer })),
          () =>
            settle(() => {
              this.cancel(planId, socket, request.idempotencyKey, "the server stopped waiting for this attempt");
              reject(new PlanroomError("TIMEOUT", `"${request.tool}" did not answer within ${remaining} ms (step ${request.stepId})`));
            }),
        );
    });
  }

  /** Sends `tool:cancel` to the plan's current socket (or, failing that, to `fallback` if connected). */
  private cancel(planId: string, fallback: Socket | undefined, idempotencyKey: string, reason: string): void {
    const socket = this.current(planId) ?? (fallback?.connected ? fallback : undefined);
    socket?.emit("tool:cancel", { idempotencyKey, reason });
  }
}

function answerOf(answer: unknown, principalId: string, tool: string): JsonValue {
  const parsed = ToolResultSchema.safeParse(answer);
  if (!parsed.success) throw new PlanroomError("TOOL_ERROR", `agent ${principalId} answered "${tool}" with an invalid result: ${parsed.error.issues[0]?.message ?? "unknown problem"}`);
  if (!parsed.data.ok) {
    const { code, message } = parsed.data.error;
    // The agent's own code (`ENOENT`, `UNHEALTHY`) stays the step's; a Planroom code is also the error's.
    throw new PlanroomError(isErrorCode(code) ? code : "TOOL_ERROR", message, { toolCode: code });
  }
  return parsed.data.result ?? null;
}

function reasonText(reason: unknown): string {
  return cancellationOf(reason).reason;
}

function abortError(signal: AbortSignal): PlanroomError {
  return new PlanroomError("CANCELLED", reasonText(signal.reason));
}
