import { PlanroomError } from "../../shared/index.js";
import type { Clock } from "../runtime/clock.js";
import type { Logger } from "../runtime/logger.js";
import type { Store } from "../store/store.js";
import type { PlanRoom } from "./plan-room.js";
import type { RunRegistry } from "./run-registry.js";

/** How many orphaned plans one sweep looks at. */
const SWEEP_LIMIT = 20;

/** What the sweeper needs from the server. */
export interface RunSweeperDeps {
  store: Store;
  clock: Clock;
  log: Logger;
  /** The room of a plan, loaded when it is not in memory (the directory's `room`). */
  room(planId: string): Promise<PlanRoom | undefined>;
  runs: Pick<RunRegistry, "recover" | "isRunning" | "holding">;
  /** Time between sweeps. */
  everyMs: number;
}

/**
 * On a shared store, finds the plans that need an executor and have none (`Store.orphanedRuns`:
 * executing, or approved with auto-execute, whose lease is free or expired) every `everyMs`, and
 * takes each over through its lease: an executing plan is recovered, an approved one started. When
 * another node got the lease first (`CONFLICT`), the plan is quietly left to it.
 */
export class RunSweeper {
  private timer: unknown;
  private stopped = true;
  private sweeping: Promise<void> | undefined;

  constructor(private readonly deps: RunSweeperDeps) {}

  /** Sweeps every `everyMs` from now on. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule();
  }

  /** No more sweeps; resolves once the one under way (if any) is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.sweeping;
  }

  /** One sweep, now. */
  async sweepNow(): Promise<void> {
    let planIds: string[];
    try {
      planIds = await this.deps.store.orphanedRuns(SWEEP_LIMIT);
    } catch (error) {
      this.deps.log.warn(`run sweep: orphaned runs could not be read: ${String(error)}`);
      return;
    }
    for (const planId of planIds) {
      if (this.stopped) return;
      if (this.deps.runs.isRunning(planId) || this.deps.runs.holding(planId)) continue;
      try {
        const room = await this.deps.room(planId);
        if (room) await this.takeOver(room);
      } catch (error) {
        this.deps.log.warn(`plan ${planId}: takeover failed: ${String(error)}`);
      }
    }
  }

  private async takeOver(room: PlanRoom): Promise<void> {
    try {
      // Recovery goes by the log as of the grant: an executing plan is recovered, an approved one started.
      const seq = await this.deps.runs.recover(room);
      if (seq !== undefined) this.deps.log.info(`plan ${room.id}: this node took its run over`);
    } catch (error) {
      // It finished, or was started, between the query and the grant.
      if (error instanceof PlanroomError && error.code === "INVALID_STATE") return;
      throw error;
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.deps.clock.setTimeout(() => {
      this.sweeping = this.sweepNow().finally(() => {
        this.sweeping = undefined;
        this.schedule();
      });
    }, this.deps.everyMs);
  }
}
