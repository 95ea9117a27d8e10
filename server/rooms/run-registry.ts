import { ExecutionPlan, PlanroomError, type PlanEventBody } from "../../shared/index.js";
import type { Clock } from "../runtime/clock.js";
import { Executor } from "../executor/executor.js";
import type { PlanRoom } from "./plan-room.js";
import type { LeaseToken, Store } from "../store/store.js";
import type { ToolHandler } from "../executor/tool-registry.js";
import type { Logger } from "../runtime/logger.js";

/** What an abandoned run's events wait for: nothing more is recorded, so no tool is called either. */
const NEVER: Promise<never> = new Promise<never>(() => {});

interface ActiveRun {
  controller: AbortController;
  /** Settles once the run is over and its events are durable (or could not be stored). */
  done: Promise<void>;
}

/** Where a plan's agent tools are served: handlers that call the submitting agent (the socket transport provides them). */
interface AgentTools {
  /** A handler per tool the agent declared, calling it wherever the plan's tools are served. */
  proxies(planId: string, submitterId: string, tools: readonly string[]): Map<string, ToolHandler>;
}

/** What the runs need from the server. */
export interface RunRegistryDeps {
  store: Store;
  clock: Clock;
  agents: AgentTools;
  /** Server-side tools; they win over an agent's tool of the same name. */
  tools: ReadonlyMap<string, ToolHandler>;
  /** This process's lease owner name. */
  owner: string;
  /** Caps on one step's resolved params and on its result (bytes of UTF-8 JSON). */
  limits: { maxParamsBytes: number; maxResultBytes: number };
  log: Logger;
}

/**
 * The running executions, one per plan at most. Each run gets a tools map (server-side tools plus
 * `tool:invoke` proxies for the tools the submitting agent declared) and an executor whose events
 * are recorded in the plan's room (durable, then broadcast).
 */
export class RunRegistry {
  /** Runs whose executor is still going; a run leaves as soon as its terminal event is recorded. */
  private readonly active = new Map<string, ActiveRun>();
  /** Every run until its events are durable and its lease is released: what `drain` and a next run of the plan wait for. */
  private readonly finishing = new Map<string, Promise<void>>();
  private stopping = false;
  private abandoned = false;

  constructor(private readonly deps: RunRegistryDeps) {}

  /**
   * Whether a run of the plan is in progress in this process. A run stops counting as soon as its
   * terminal event is recorded, even before that event is durable.
   */
  isRunning(planId: string): boolean {
    return this.active.has(planId);
  }

  /**
   * While a run of the plan holds its room (running, or writing its last events and releasing its
   * lease): a promise that settles once it lets go; undefined when no run holds it.
   */
  holding(planId: string): Promise<void> | undefined {
    return this.finishing.get(planId);
  }

  /** How many runs are in progress. */
  get size(): number {
    return this.active.size;
  }

  /** The tools a plan may call: server-side tools and the submitting agent's declared tools. */
  toolsFor(room: PlanRoom): Map<string, ToolHandler> {
    const tools = this.deps.agents.proxies(room.id, room.head.submittedBy.id, room.head.tools);
    for (const [name, handler] of this.deps.tools) tools.set(name, handler);
    return tools;
  }

  /** Starts an approved plan. Resolves once `plan.started` is durable, with its seq. */
  async start(room: PlanRoom, actor: string): Promise<number> {
    if (room.head.plan.status !== "approved") throw new PlanroomError(room.head.plan.status === "pending_approval" ? "APPROVAL_REQUIRED" : "INVALID_STATE", `plan ${room.id} is ${room.head.plan.status}, not approved`);
    return this.launch(room, actor, "execute");
  }

  /** Continues a plan found executing after a restart (running steps are marked interrupted). */
  async recover(room: PlanRoom): Promise<number> {
    return this.launch(room, undefined, "recover");
  }

  /** Cancels a running plan through its executor; resolves when the run is over and its events are durable. */
  async cancel(planId: string, reason: string, by: string): Promise<void> {
    const run = this.active.get(planId);
    if (!run) throw new PlanroomError("INVALID_STATE", `plan ${planId} is not running`);
    run.controller.abort({ reason, by });
    await run.done;
  }

  /**
   * Stops starting runs and waits up to `graceMs` for the running ones to finish. Runs still going
   * after that are abandoned in the `executing` state (a restart recovers them).
   */
  async drain(graceMs: number): Promise<void> {
    this.stopping = true;
    const all = Promise.all(this.finishing.values());
    let timer: unknown;
    const grace = new Promise<void>((resolve) => (timer = this.deps.clock.setTimeout(resolve, graceMs)));
    await Promise.race([all, grace]);
    this.deps.clock.clearTimeout(timer);
    if (this.active.size === 0) return;
    // Left executing in the store; stop the tools without recording anything more.
    this.abandoned = true;
    for (const run of this.active.values()) run.controller.abort({ reason: "the server is shutting down" });
  }

  private async launch(room: PlanRoom, actor: string | undefined, mode: "execute" | "recover"): Promise<number> {
    if (this.stopping) throw new PlanroomError("INVALID_STATE", "the server is shutting down");
    if (this.active.has(room.id)) throw new PlanroomError("INVALID_STATE", `plan ${room.id} is already running`);
    const controller = new AbortController();
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const run: ActiveRun = { controller, done };
    // The previous run of this plan may still be writing its last events and releasing its lease.
    const previous = this.finishing.get(room.id);
    this.active.set(room.id, run);
    this.finishing.set(room.id, done);
    const over = (): void => {
      if (this.active.get(room.id) === run) this.active.delete(room.id);
    };
    const release = (): void => {
      over();
      if (this.finishing.get(room.id) === done) this.finishing.delete(room.id);
      finish();
    };
    const seqBefore = room.seq;
    try {
      if (previous) await previous;
      // The run's events are written under its lease: once another executor takes the lease over,
      // the store refuses them, the room faults and this run is aborted (see `record`).
      const lease: LeaseToken = { owner: this.deps.owner, epoch: (await this.deps.store.acquireLease(room.id, this.deps.owner)).epoch };
      const plan = ExecutionPlan.fromJSON(structuredClone(room.head.plan), { clock: () => this.deps.clock.now() });
      const executor = new Executor(this.toolsFor(room), {
        clock: this.deps.clock,
        maxParamsBytes: this.deps.limits.maxParamsBytes,
        maxResultBytes: this.deps.limits.maxResultBytes,
        // Returns "durable": a tool runs only after its step.started is stored, a dependent only after its input is.
        onEvent: (event) => this.record(room, event, controller, lease),
        onCallbackError: (error) => this.deps.log.error(`plan ${room.id}: ${String(error)}`),
      });
      const options = { signal: controller.signal, ...(actor !== undefined ? { actor } : {}) };
      const running = mode === "recover" ? executor.recover(plan, options) : executor.execute(plan, options);
      if (mode === "execute" && room.seq === seqBefore) await running; // it could not start: rethrow why
      running
        // The terminal event is recorded: the plan is finished for commands from here on.
        .finally(over)
        .then(() => room.settled())
        .catch((error: unknown) => this.deps.log.error(`plan ${room.id}: the run ended with an error: ${String(error)}`))
        .then(() => this.deps.store.releaseLease(room.id, this.deps.owner, lease.epoch))
        .catch(() => {})
        .finally(release);
    } catch (error) {
      release();
      throw error;
    }
    await room.settled();
    return room.seq > seqBefore ? seqBefore + 1 : room.seq;
  }

  /** Records an executor's event; resolves once it is durable (rejects, and cancels the run, when it cannot be). */
  private record(room: PlanRoom, event: PlanEventBody, controller: AbortController, lease: LeaseToken): Promise<unknown> {
    if (this.abandoned) return NEVER;
    try {
      const durable = room.record([event], { lease });
      durable.catch(() => controller.abort({ reason: "events could not be stored" }));
      return durable;
    } catch (error) {
      this.deps.log.error(`plan ${room.id}: event ${event.type} not recorded: ${String(error)}`);
      controller.abort({ reason: "the server could not record the run" });
      const refused = Promise.reject(error instanceof Error ? error : new Error(String(error)));
      refused.catch(() => {}); // the executor looks only at some events' promises
      return refused;
    }
  }
}
