import { jsonByteLength, toStepError, ToolInvokeSchema, type JsonValue, type ToolContext, type ToolHandler, type ToolInvoke, type ToolResult } from "../shared/index.js";

export type { ToolContext, ToolHandler } from "../shared/index.js";

/** A set of tools by name. */
export type ToolMap = Record<string, ToolHandler>;

interface Run {
  promise: Promise<ToolResult>;
  controller: AbortController;
}

/** How many finished attempts are remembered, so that a re-sent invoke gets the same answer. */
const REMEMBERED_RUNS = 1_000;

/**
 * Answers the server's `tool:invoke` requests for the tools an agent serves: runs the handler with
 * an `AbortSignal` aborted on `tool:cancel` or at the deadline, answers a re-sent invoke (same
 * idempotency key, e.g. after a reconnection) with the same run instead of running it twice, and
 * turns errors into `{ ok: false, error: { code, message } }`. Uses only web-standard APIs.
 */
export class ToolServer {
  readonly #byPlan = new Map<string, ToolMap>();
  readonly #unassigned = new Set<ToolMap>();
  readonly #runs = new Map<string, Run>();
  readonly #clock: () => number;

  constructor(clock: () => number = Date.now) {
    this.#clock = clock;
  }

  /** Serves `tools` for `planId`. */
  register(planId: string, tools: ToolMap): void {
    this.#byPlan.set(planId, tools);
  }

  /** Stops serving the tools of `planId`. */
  unregister(planId: string): void {
    this.#byPlan.delete(planId);
  }

  /**
   * Serves `tools` for a plan whose id is not known yet (a submission awaiting its ack, which an
   * early invoke may overtake). Returns a function that withdraws them.
   */
  holdUnassigned(tools: ToolMap): () => void {
    this.#unassigned.add(tools);
    return () => {
      this.#unassigned.delete(tools);
    };
  }

  /** The handler serving `tool` for `planId`, if any. */
  handlerFor(planId: string, tool: string): ToolHandler | undefined {
    const own = this.#byPlan.get(planId);
    if (own) return Object.hasOwn(own, tool) ? own[tool] : undefined;
    for (const tools of this.#unassigned) if (Object.hasOwn(tools, tool)) return tools[tool];
    return undefined;
  }

  /** Handles one `tool:invoke` (the payload is checked; a missing ack callback is tolerated). */
  invoke(raw: unknown, ack: unknown): void {
    const reply = (result: ToolResult): void => {
      if (typeof ack === "function") (ack as (result: ToolResult) => void)(result);
    };
    const parsed = ToolInvokeSchema.safeParse(raw);
    if (!parsed.success) {
      reply({ ok: false, error: { code: "VALIDATION", message: `malformed tool:invoke: ${parsed.error.issues[0]?.message ?? "invalid"}` } });
      return;
    }
    const request = parsed.data;
    const existing = this.#runs.get(request.idempotencyKey);
    if (existing) {
      void existing.promise.then(reply);
      return;
    }
    const handler = this.handlerFor(request.planId, request.tool);
    if (!handler) {
      reply({ ok: false, error: { code: "UNKNOWN_TOOL", message: `this agent does not serve tool "${request.tool}" for plan ${request.planId}` } });
      return;
    }
    const controller = new AbortController();
    const run: Run = { controller, promise: this.#run(request, handler, controller) };
    this.#runs.set(request.idempotencyKey, run);
    while (this.#runs.size > REMEMBERED_RUNS) {
      const oldest = this.#runs.keys().next().value as string;
      this.#runs.delete(oldest);
    }
    void run.promise.then(reply);
  }

  /** Handles `tool:cancel`: aborts the run with that idempotency key. */
  cancel(raw: unknown): void {
    if (typeof raw !== "object" || raw === null) return;
    const { idempotencyKey, reason } = raw as { idempotencyKey?: unknown; reason?: unknown };
    if (typeof idempotencyKey !== "string") return;
    const run = this.#runs.get(idempotencyKey);
    run?.controller.abort(abortReason("CANCELLED", typeof reason === "string" ? reason : "cancelled by the server"));
  }

  /** Aborts every running tool call (the client is closing). */
  abortAll(reason: string): void {
    for (const run of this.#runs.values()) if (!run.controller.signal.aborted) run.controller.abort(abortReason("CANCELLED", reason));
  }

  /** How many tool calls are running now (a finished call's signal is aborted as it ends). */
  get running(): number {
    let n = 0;
    for (const run of this.#runs.values()) if (!run.controller.signal.aborted) n++;
    return n;
  }

  async #run(request: ToolInvoke, handler: ToolHandler, controller: AbortController): Promise<ToolResult> {
    const { signal } = controller;
    const wait = Math.max(0, request.deadline - this.#clock());
    const timer = setTimeout(() => controller.abort(abortReason("TIMEOUT", `tool "${request.tool}" passed its deadline`)), wait);
    const ctx: ToolContext = {
      signal,
      planId: request.planId,
      stepId: request.stepId,
      tool: request.tool,
      attempt: request.attempt,
      idempotencyKey: request.idempotencyKey,
      deadline: request.deadline,
      dependencies: request.dependencies,
    };
    const aborted = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
    aborted.catch(() => undefined);
    try {
      const value = await Promise.race([Promise.resolve().then(() => handler(request.params, ctx)), aborted]);
      return toOkResult(value, request);
    } catch (error) {
      return { ok: false, error: toStepError(signal.aborted ? signal.reason : error) };
    } finally {
      clearTimeout(timer);
      if (!signal.aborted) controller.abort(abortReason("CANCELLED", "the tool call is over"));
    }
  }
}

function abortReason(code: "CANCELLED" | "TIMEOUT", message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/**
 * The answer for a tool's return value. A result larger than the server accepts is refused here
 * (`RESULT_TOO_LARGE`), measured before anything is written out, so it never leaves the agent.
 */
function toOkResult(value: unknown, request: ToolInvoke): ToolResult {
  if (value === undefined) return { ok: true };
  const max = request.maxResultBytes;
  if (max !== undefined && jsonByteLength(value, max) > max) {
    return { ok: false, error: { code: "RESULT_TOO_LARGE", message: `tool "${request.tool}" returned more than ${max} bytes (step "${request.stepId}"); the server accepts results of at most ${max} bytes` } };
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    return { ok: false, error: { code: "TOOL_ERROR", message: `the tool's result is not JSON: ${(error as Error).message}` } };
  }
  if (json === undefined) return { ok: true };
  return { ok: true, result: JSON.parse(json) as JsonValue };
}
