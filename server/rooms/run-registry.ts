import { ExecutionPlan, PlanroomError, type PlanEventBody } from "../../shared/index.js";
import type { Clock } from "../runtime/clock.js";
import { Executor } from "../executor/executor.js";
import type { PlanRoom } from "./plan-room.js";
import type { CancelRequest, LeaseToken, Store } from "../store/store.js";
import type { ToolHandler } from "../executor/tool-registry.js";
import type { Logger } from "../runtime/logger.js";
import { cancelRemoteRun } from "./remote-cancel.js";
import { LeaseRenewer, type LeaseTimings } from "./lease-renewer.js";

/** What an abandoned run's events wait for: nothing more is recorded, so no tool is called either. */
const NEVER: Promise<never> = new Promise<never>(() => {});

/** How often, and how many times, a run taking a plan over checks that its room has read the log up to the grant. */
const CATCH_UP_POLL_MS = 10;
const CATCH_UP_ROUNDS = 300;

/** Lease timings when none are configured (those of the server's `lease` defaults). */
const DEFAULT_LEASE: LeaseTimings = { ttlMs: 15_000, renewMs: 5_000 };

interface ActiveRun {
  controller: AbortController;
  /** The run's lease epoch, once granted. */
  epoch?: number;
  /** The lease was lost: nothing more is recorded by this run. */
  lost?: boolean;
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
  /** Executor lease timings: every run's lease lasts `ttlMs` and is renewed every `renewMs` (default 15 s and 5 s). */
  lease?: LeaseTimings;
  /** How long a cancellation of a run on another node is waited for (default 30 s). */
  remoteCancelMs?: number;
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
  /** Renews the runs' leases and fences runs whose lease was not renewed in time. */
  private readonly renewer: LeaseRenewer;
  private readonly lease: LeaseTimings;

  constructor(private readonly deps: RunRegistryDeps) {
    this.lease = deps.lease ?? DEFAULT_LEASE;
    this.renewer = new LeaseRenewer({ store: deps.store, clock: deps.clock, owner: deps.owner, log: deps.log, timings: this.lease });
  }

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

  /**
   * Continues a plan found executing with no executor (after a restart, or its holder's lease
   * expired): running steps are marked interrupted. It happens only through the lease: when another
   * executor holds it (`CONFLICT`), nothing is done and this resolves with undefined. The plan's
   * status is read once the lease is granted (on a shared store, after catching up with the log):
   * an approved auto-execute plan whose starter died is started instead; anything else is
   * `INVALID_STATE`.
   */
  async recover(room: PlanRoom): Promise<number | undefined> {
    try {
      return await this.launch(room, undefined, "recover");
    } catch (error) {
      if (error instanceof PlanroomError && error.code === "CONFLICT") return undefined;
      throw error;
    }
  }

  /**
   * A cancellation of the plan was asked for (on another node, through the store): its run here, if
   * any, is cancelled as `cancel` does. What a cross-node hint calls; renewals find it otherwise.
   */
  cancelRequested(planId: string, request: CancelRequest = { reason: "cancelled", by: "system" }): void {
    this.active.get(planId)?.controller.abort({ reason: request.reason, by: request.by });
  }

  /** Cancels a running plan through its executor; resolves when the run is over and its events are durable. */
  async cancel(planId: string, reason: string, by: string): Promise<void> {
    const run = this.active.get(planId);
    if (!run) throw new PlanroomError("INVALID_STATE", `plan ${planId} is not running`);
    run.controller.abort({ reason, by });
    await run.done;
  }

  /**
   * Cancels the plan's run on another node (see `cancelRemoteRun`): the request is stored for its
   * executor, then this waits until the plan is finished (at most `remoteCancelMs`). Only on a
   * shared store (`INVALID_STATE` otherwise: no other node can be running it).
   */
  async cancelElsewhere(room: PlanRoom, reason: string, by: string): Promise<void> {
    // With a single writer no other node can be running it.
    if (!this.deps.store.sharedWriters) throw new PlanroomError("INVALID_STATE", `plan ${room.id} is ${room.head.plan.status}: it cannot be cancelled`);
    const pollMs = Math.min(250, Math.max(10, Math.floor(this.lease.renewMs / 2)));
    await cancelRemoteRun({ store: this.deps.store, clock: this.deps.clock, pollMs, timeoutMs: this.deps.remoteCancelMs ?? 30_000 }, room, { reason, by });
  }

  /**
   * Stops starting runs and waits up to `graceMs` for the running ones to finish. Runs still going
   * after that are abandoned in the `executing` state, their leases released (a restart, or another
   * node's sweeper, recovers them).
   */
  async drain(graceMs: number): Promise<void> {
    this.stopping = true;
    const all = Promise.all(this.finishing.values());
    let timer: unknown;
    const grace = new Promise<void>((resolve) => (timer = this.deps.clock.setTimeout(resolve, graceMs)));
    await Promise.race([all, grace]);
    this.deps.clock.clearTimeout(timer);
    this.renewer.stop();
    if (this.active.size === 0) return;
    // Left executing in the store; stop the tools without recording anything more.
    this.abandoned = true;
    const released: Promise<void>[] = [];
    for (const [planId, run] of this.active) {
      run.controller.abort({ reason: "the server is shutting down" });
      // Another node takes the plan over at its next sweep instead of after the lease's TTL.
      if (run.epoch !== undefined) released.push(this.deps.store.releaseLease(planId, this.deps.owner, run.epoch).catch(() => {}));
    }
    await Promise.all(released);
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
      this.renewer.drop(room.id);
      over();
      if (this.finishing.get(room.id) === done) this.finishing.delete(room.id);
      finish();
    };
    let seqBefore: number;
    try {
      if (previous) await previous;
      // The run's events are written under its lease: once another executor takes the lease over,
      // the store refuses them, the room faults and this run is aborted (see `record`).
      const grant = await this.deps.store.acquireLease(room.id, this.deps.owner, { ttlMs: this.lease.ttlMs });
      const lease: LeaseToken = { owner: this.deps.owner, epoch: grant.epoch };
      run.epoch = grant.epoch;
      this.renewer.hold(room.id, grant.epoch, {
        lost: () => {
          this.deps.log.warn(`plan ${room.id}: the executor lease was lost; the run stops here`);
          run.lost = true;
          controller.abort({ reason: "the executor lease was lost" });
          release();
        },
        cancelRequested: (request) => controller.abort({ reason: request.reason, by: request.by }),
      });
      // Another node's events up to the grant are committed: the run goes on from all of them.
      if (this.deps.store.sharedWriters) await this.catchUp(room, grant.head);
      seqBefore = room.seq;
      const status = room.head.plan.status;
      const how = status === "executing" ? "recover" : status === "approved" && (mode === "execute" || room.head.autoExecute) ? "execute" : undefined;
      if (how === undefined) throw new PlanroomError("INVALID_STATE", `plan ${room.id} is ${status}: there is nothing to run`);
      if (how === "execute" && actor === undefined) actor = room.head.submittedBy.id;
      const plan = ExecutionPlan.fromJSON(structuredClone(room.head.plan), { clock: () => this.deps.clock.now() });
      const executor = new Executor(this.renewer.fence(room.id, this.toolsFor(room)), {
        clock: this.deps.clock,
        maxParamsBytes: this.deps.limits.maxParamsBytes,
        maxResultBytes: this.deps.limits.maxResultBytes,
        // Returns "durable": a tool runs only after its step.started is stored, a dependent only after its input is.
        onEvent: (event) => this.record(room, event, run, lease),
        onCallbackError: (error) => this.deps.log.error(`plan ${room.id}: ${String(error)}`),
      });
      const options = { signal: controller.signal, ...(actor !== undefined ? { actor } : {}) };
      const running = how === "recover" ? executor.recover(plan, options) : executor.execute(plan, options);
      // A cancellation asked for while the plan had no executor: recover, then cancel.
      if (grant.cancel) controller.abort({ reason: grant.cancel.reason, by: grant.cancel.by });
      if (how === "execute" && room.seq === seqBefore) await running; // it could not start: rethrow why
      running
        // The terminal event is recorded: the plan is finished for commands from here on.
        .finally(over)
        .then(() => room.settled())
        .catch((error: unknown) => this.deps.log.error(`plan ${room.id}: the run ended with an error: ${String(error)}`))
        .then(() => this.deps.store.releaseLease(room.id, this.deps.owner, lease.epoch))
        .catch(() => {})
        .finally(release);
    } catch (error) {
      if (run.epoch !== undefined) void this.deps.store.releaseLease(room.id, this.deps.owner, run.epoch).catch(() => {});
      release();
      throw error;
    }
    await room.settled();
    return room.seq > seqBefore ? seqBefore + 1 : room.seq;
  }

  /** Waits (a few seconds at most) until the room has shown the plan's log up to `head`. */
  private async catchUp(room: PlanRoom, head: number): Promise<void> {
    for (let round = 0; room.durable.seq < head; round++) {
      if (round === CATCH_UP_ROUNDS) throw new PlanroomError("UNAVAILABLE", `plan ${room.id}: its log could not be read up to ${head}`);
      room.behind(head);
      await new Promise<void>((resolve) => this.deps.clock.setTimeout(resolve, CATCH_UP_POLL_MS));
    }
  }

  /** Records an executor's event; resolves once it is durable (rejects, and cancels the run, when it cannot be). */
  private record(room: PlanRoom, event: PlanEventBody, run: ActiveRun, lease: LeaseToken): Promise<unknown> {
    const { controller } = run;
    if (this.abandoned || run.lost) return NEVER;
    try {
      const durable = room.record([event], { lease });
      durable.catch((error: unknown) => {
        if (!controller.signal.aborted) this.deps.log.warn(`plan ${room.id}: the run stops, its events could not be stored: ${String(error)}`);
        controller.abort({ reason: "events could not be stored" });
      });
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
