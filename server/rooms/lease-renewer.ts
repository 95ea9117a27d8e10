import type { Clock } from "../runtime/clock.js";
import type { Logger } from "../runtime/logger.js";
import type { CancelRequest, Store } from "../store/store.js";
import type { ToolHandler } from "../executor/tool-registry.js";

/** Executor lease timings (see the server's `lease` configuration). */
export interface LeaseTimings {
  ttlMs: number;
  renewMs: number;
}

/** What a held lease's run is told by its renewals. */
export interface LeaseHolder {
  /** The lease was not renewed (another executor has it, or it expired): abort the run at once. */
  lost(): void;
  /** A cancellation was asked for, on this node or another (see `Store.requestCancel`). */
  cancelRequested(request: CancelRequest): void;
}

interface Held {
  epoch: number;
  holder: LeaseHolder;
  /** Local clock time at which the last successful renewal (or the grant) was asked for. */
  renewedAt: number;
  /** Tool calls waiting for the lease to be renewed. */
  waiting: Set<() => void>;
}

/**
 * Keeps this node's executor leases alive: every `renewMs`, one `renewLeases` call for all of them.
 * A lease missing from the answer is lost and its run told at once; a cancel request in the answer
 * is passed on. It also fences runs: once the time since a lease's last successful renewal exceeds
 * `ttlMs − 2 × renewMs` (on the injected clock), the run's tools wait before starting a call until
 * a renewal succeeds again (see {@link fence}).
 */
export class LeaseRenewer {
  private readonly held = new Map<string, Held>();
  private timer: unknown;
  private renewing = false;
  private stopped = false;

  constructor(private readonly deps: { store: Store; clock: Clock; owner: string; log: Logger; timings: LeaseTimings }) {}

  /** How long after its last renewal a run stops starting tool calls. */
  get fenceAfterMs(): number {
    return this.deps.timings.ttlMs - 2 * this.deps.timings.renewMs;
  }

  /** Starts renewing a lease granted now at `epoch`. */
  hold(planId: string, epoch: number, holder: LeaseHolder): void {
    this.held.set(planId, { epoch, holder, renewedAt: this.deps.clock.now(), waiting: new Set() });
    this.schedule();
  }

  /** Stops renewing the plan's lease (its run is over); calls waiting on it go on (their run is over too). */
  drop(planId: string): void {
    const held = this.held.get(planId);
    if (!held) return;
    this.held.delete(planId);
    for (const wake of held.waiting) wake();
    if (this.held.size === 0) this.unschedule();
  }

  /** Whether the plan's run may not start a tool call now (its lease was not renewed recently enough). */
  fenced(planId: string): boolean {
    const held = this.held.get(planId);
    return held !== undefined && this.deps.clock.now() - held.renewedAt > this.fenceAfterMs;
  }

  /** The plan's tools, each waiting before it starts while the run is fenced (rejecting if its call is aborted meanwhile). */
  fence(planId: string, tools: Map<string, ToolHandler>): Map<string, ToolHandler> {
    const fenced = new Map<string, ToolHandler>();
    for (const [name, handler] of tools) {
      fenced.set(name, async (params, ctx) => {
        await this.unfenced(planId, ctx.signal);
        return handler(params, ctx);
      });
    }
    return fenced;
  }

  /** Resolves once the plan's run is not fenced; rejects when `signal` aborts first. */
  unfenced(planId: string, signal: AbortSignal): Promise<void> {
    const held = this.held.get(planId);
    if (!held || !this.fenced(planId)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const wake = (): void => {
        held.waiting.delete(wake);
        signal.removeEventListener("abort", aborted);
        resolve();
      };
      const aborted = (): void => {
        held.waiting.delete(wake);
        reject(signal.reason instanceof Error ? signal.reason : new Error("the tool call was aborted while its lease was not renewed"));
      };
      if (signal.aborted) return aborted();
      held.waiting.add(wake);
      signal.addEventListener("abort", aborted, { once: true });
    });
  }

  /** Renews every held lease once, now: what the timer does every `renewMs`. */
  async renewNow(): Promise<void> {
    if (this.renewing || this.held.size === 0) return;
    this.renewing = true;
    const askedAt = this.deps.clock.now();
    const asked = [...this.held].map(([planId, held]) => ({ planId, epoch: held.epoch, held }));
    try {
      const renewed = await this.deps.store.renewLeases(this.deps.owner, asked.map(({ planId, epoch }) => ({ planId, epoch })), this.deps.timings.ttlMs);
      for (const { planId, held } of asked) {
        if (this.held.get(planId) !== held) continue; // its run ended meanwhile
        const answer = renewed.get(planId);
        if (!answer) {
          this.drop(planId);
          held.holder.lost();
          continue;
        }
        held.renewedAt = askedAt;
        for (const wake of [...held.waiting]) wake();
        if (answer.cancel) held.holder.cancelRequested(answer.cancel);
      }
    } catch (error) {
      // Nothing is known to be lost: the runs fence themselves if this goes on.
      this.deps.log.warn(`executor leases could not be renewed: ${String(error)}`);
    } finally {
      this.renewing = false;
    }
  }

  /** Stops renewing (the node is stopping); the leases are left to expire or to be released. */
  stop(): void {
    this.stopped = true;
    this.unschedule();
  }

  private schedule(): void {
    if (this.timer !== undefined || this.stopped) return;
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      void this.renewNow().finally(() => {
        if (this.held.size > 0) this.schedule();
      });
    }, this.deps.timings.renewMs);
  }

  private unschedule(): void {
    if (this.timer === undefined) return;
    this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
