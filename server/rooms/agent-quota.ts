import { FINISHED_PLAN_STATUSES, jsonByteLength, PlanroomError, type PlanState, type PlanStatus } from "../../shared/index.js";

/** The per-agent caps on open plans (see `limits` in the configuration). */
export interface AgentQuotaLimits {
  /** The most open plans one submitter may have. */
  maxOpenPlansPerAgent: number;
  /** The most bytes (UTF-8 JSON) of step params the open plans of one submitter may hold together. */
  maxOpenPlanBytesPerAgent: number;
}

/**
 * Whether a plan in this status counts against its submitter's quota: every status a plan has not
 * finished in (`draft`, `pending_approval`, `approved`, `executing`). A finished plan (`rejected`,
 * `expired`, `completed`, `failed`, `cancelled`) does not, until it is resumed.
 */
function isOpenPlanStatus(status: PlanStatus): boolean {
  return !FINISHED_PLAN_STATUSES.has(status);
}

/** Bytes of a plan's step params, as UTF-8 JSON: what a plan weighs in its submitter's quota. */
export function paramsBytes(steps: readonly { params?: unknown }[]): number {
  let bytes = 0;
  for (const s of steps) bytes += jsonByteLength(s.params ?? {});
  return bytes;
}

interface TrackedPlan {
  agentId: string;
  bytes: number;
  open: boolean;
}

/** What one agent's open plans hold. */
export interface AgentUsage {
  plans: number;
  bytes: number;
}

/**
 * Counts, per submitter, the open plans and the bytes of their params. Every count is kept
 * incrementally: a plan's size is measured once (at submit, at a revision, or when it is restored)
 * and kept with it, so a check or a status change costs a map lookup, never a scan of the plans.
 */
export class AgentQuota {
  private readonly plans = new Map<string, TrackedPlan>();
  private readonly agents = new Map<string, AgentUsage>();

  /** What the open plans of `agentId` hold now. */
  usage(agentId: string): AgentUsage {
    const u = this.agents.get(agentId);
    return { plans: u?.plans ?? 0, bytes: u?.bytes ?? 0 };
  }

  /** The measured size of a tracked plan, if it is tracked. */
  bytesOf(planId: string): number | undefined {
    return this.plans.get(planId)?.bytes;
  }

  /**
   * Refuses (`QUOTA_EXCEEDED`) unless `agentId` may add `plans` open plans and `bytes` bytes (a
   * negative or zero change is always allowed: a revision that shrinks a plan is never refused).
   */
  check(agentId: string, change: AgentUsage, limits: AgentQuotaLimits): void {
    const now = this.usage(agentId);
    const free = "finish or cancel some of them, or wait for their decisions (a rejected or expired plan no longer counts)";
    if (change.plans > 0 && now.plans + change.plans > limits.maxOpenPlansPerAgent) {
      throw new PlanroomError("QUOTA_EXCEEDED", `${agentId} has ${now.plans} open plans (pending approval, approved or executing), the most one agent may have (limits.maxOpenPlansPerAgent = ${limits.maxOpenPlansPerAgent}): ${free}`);
    }
    if (change.bytes > 0 && now.bytes + change.bytes > limits.maxOpenPlanBytesPerAgent) {
      throw new PlanroomError(
        "QUOTA_EXCEEDED",
        `the open plans of ${agentId} hold ${now.bytes} bytes of step params; ${change.bytes} more would pass the ${limits.maxOpenPlanBytesPerAgent} one agent may have (limits.maxOpenPlanBytesPerAgent): ${free}`,
      );
    }
  }

  /**
   * Counts a plan from its state (its submitter and whether its status is open), with `bytes` as
   * its size; without `bytes`, the size it was tracked with, or else its params measured now.
   * Idempotent: calling it again with the same state changes nothing.
   */
  track(state: PlanState, bytes?: number): void {
    const prior = this.plans.get(state.plan.id);
    const next: TrackedPlan = { agentId: state.submittedBy.id, bytes: bytes ?? prior?.bytes ?? paramsBytes(state.plan.steps), open: isOpenPlanStatus(state.plan.status) };
    if (prior && prior.agentId === next.agentId && prior.bytes === next.bytes && prior.open === next.open) return;
    if (prior) this.uncount(prior);
    this.plans.set(state.plan.id, next);
    this.count(next);
  }

  /** Sets the size of a tracked plan (after a revision); an untracked plan is ignored. */
  resize(planId: string, bytes: number): void {
    const prior = this.plans.get(planId);
    if (!prior || prior.bytes === bytes) return;
    this.uncount(prior);
    prior.bytes = bytes;
    this.count(prior);
  }

  /** Stops counting a plan (a submission whose first event could not be stored). */
  forget(planId: string): void {
    const prior = this.plans.get(planId);
    if (!prior) return;
    this.uncount(prior);
    this.plans.delete(planId);
  }

  private count(plan: TrackedPlan): void {
    if (!plan.open) return;
    const u = this.agents.get(plan.agentId);
    if (u) {
      u.plans += 1;
      u.bytes += plan.bytes;
    } else {
      this.agents.set(plan.agentId, { plans: 1, bytes: plan.bytes });
    }
  }

  private uncount(plan: TrackedPlan): void {
    if (!plan.open) return;
    const u = this.agents.get(plan.agentId);
    if (!u) return;
    u.plans -= 1;
    u.bytes -= plan.bytes;
    if (u.plans <= 0) this.agents.delete(plan.agentId);
  }
}
