import { ApprovalPolicySchema, ExecutionPlan, type PlanEvent } from "../../../shared/index.js";

/** Builds the events of a plan for store tests and the store benchmark. */
export class PlanEvents {
  seq = 0;
  constructor(
    readonly planId: string,
    private readonly clock: () => number = () => 1_700_000_000_000,
  ) {}

  /** `plan.submitted` with two steps (seq 1); by "agent-1" under the default policy unless told otherwise. */
  submitted(options: { submittedBy?: { id: string; name: string }; reviewers?: string[]; autoExecute?: boolean } = {}): PlanEvent {
    const plan = new ExecutionPlan(`plan ${this.planId}`, { id: this.planId, clock: this.clock });
    plan.addStep("fetch", "fetch the data", { url: "https://example.com" }, { id: "a" });
    plan.addStep("store", "store it", {}, { id: "b", dependsOn: ["a"] });
    const data = { ...plan.toJSON(), status: "pending_approval" as const };
    return this.next({
      type: "plan.submitted",
      data: {
        plan: data,
        policy: ApprovalPolicySchema.parse(options.reviewers ? { reviewers: options.reviewers } : {}),
        submittedBy: options.submittedBy ?? { id: "agent-1", name: "Agent" },
        tools: [],
        autoExecute: options.autoExecute ?? false,
      },
    });
  }

  /** A vote (any number of them can follow a submission). */
  vote(voterId = "rev-1", decision: "approve" | "reject" = "approve"): PlanEvent {
    return this.next({ type: "vote.cast", data: { vote: { voterId, voterName: voterId, decision, version: 1, at: this.clock() } } });
  }

  /** `plan.rejected` (after a rejecting vote). */
  rejected(): PlanEvent {
    return this.next({ type: "plan.rejected", data: { by: ["rev-1"], reason: "no" } });
  }

  /** `plan.approved` (after an approving vote). */
  approved(): PlanEvent {
    return this.next({ type: "plan.approved", data: { by: ["rev-1"] } });
  }

  /** `plan.started` (after `plan.approved`): the plan is executing. */
  started(): PlanEvent {
    return this.next({ type: "plan.started", data: { run: 1 } });
  }

  /** `plan.cancelled` (a run stopped on request). */
  cancelled(): PlanEvent {
    return this.next({ type: "plan.cancelled", data: { reason: "stop it" } });
  }

  /** `plan.approved`, `plan.started`, both steps, `plan.completed`. */
  run(): PlanEvent[] {
    return [
      this.approved(),
      this.started(),
      this.next({ type: "step.started", data: { stepId: "a", attempt: 1 } }),
      this.next({ type: "step.completed", data: { stepId: "a", attempt: 1, result: { ok: true }, durationMs: 3 } }),
      this.next({ type: "step.started", data: { stepId: "b", attempt: 1 } }),
      this.next({ type: "step.completed", data: { stepId: "b", attempt: 1, result: 42, durationMs: 2 } }),
      this.next({ type: "plan.completed", data: { durationMs: 9 } }),
    ];
  }

  private next(body: { type: PlanEvent["type"]; data: unknown }): PlanEvent {
    this.seq++;
    return { ...body, planId: this.planId, seq: this.seq, at: this.clock() } as PlanEvent;
  }
}
