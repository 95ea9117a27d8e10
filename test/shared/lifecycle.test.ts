import { describe, expect, it } from "vitest";
import { assertTransition, canTransition, ExecutionPlan, LifecycleError, PLAN_TRANSITIONS, PlanStatusSchema, statusAfter, type PlanStatus } from "../../shared/index.js";

const STATUSES = PlanStatusSchema.options;

/** A plan brought to `status` through its own methods and events. */
function planIn(status: PlanStatus): ExecutionPlan {
  const plan = new ExecutionPlan("lifecycle", { id: "p1" });
  plan.addStep("work", "a", {}, { id: "a" });
  const at = 1;
  const start = () => plan.approve("alice").apply({ type: "plan.started", at, data: { run: 1 } });
  switch (status) {
    case "draft":
      break;
    case "pending_approval":
      plan.submitForApproval();
      break;
    case "approved":
      plan.approve("alice");
      break;
    case "rejected":
      plan.reject("bob", "no");
      break;
    case "expired":
      plan.submitForApproval().apply({ type: "plan.expired", at, data: {} });
      break;
    case "executing":
      start();
      break;
    case "completed":
      start().apply({ type: "plan.completed", at, data: { durationMs: 0 } });
      break;
    case "failed":
      start().apply({ type: "plan.failed", at, data: { error: { code: "TOOL_ERROR", message: "x" }, durationMs: 0 } });
      break;
    case "cancelled":
      plan.cancel("stop");
      break;
  }
  expect(plan.status).toBe(status);
  return plan;
}

describe("plan lifecycle", () => {
  it("allows exactly the transitions of the table, and names both states when refusing one", () => {
    for (const from of STATUSES) {
      for (const to of STATUSES) {
        const legal = PLAN_TRANSITIONS[from].includes(to);
        expect(canTransition(from, to)).toBe(legal);
        if (legal) {
          expect(() => assertTransition(from, to)).not.toThrow();
        } else {
          const error = (() => {
            try {
              assertTransition(from, to);
            } catch (e) {
              return e;
            }
            return undefined;
          })();
          expect(error).toBeInstanceOf(LifecycleError);
          expect(error).toMatchObject({ code: "INVALID_STATE", from, to, message: `plan cannot go from ${from} to ${to}` });
        }
      }
    }
  });

  it("final states go nowhere except a failed or cancelled plan being reopened", () => {
    expect(PLAN_TRANSITIONS.completed).toEqual([]);
    expect(PLAN_TRANSITIONS.rejected).toEqual([]);
    expect(PLAN_TRANSITIONS.expired).toEqual([]);
    expect([...PLAN_TRANSITIONS.failed].sort()).toEqual(["approved", "pending_approval"]);
  });

  it("approve and reject work only from draft or pending approval", () => {
    for (const status of STATUSES) {
      const ok = status === "draft" || status === "pending_approval";
      const approve = () => planIn(status).approve("alice");
      const reject = () => planIn(status).reject("bob");
      if (ok) {
        expect(approve().status).toBe("approved");
        expect(reject().status).toBe("rejected");
      } else {
        expect(approve).toThrow(LifecycleError);
        expect(reject).toThrow(LifecycleError);
      }
    }
  });

  it("a refused transition changes nothing", () => {
    const plan = planIn("completed");
    const before = plan.toJSON();
    expect(() => plan.approve("alice")).toThrow(/from completed to approved/);
    expect(plan.toJSON()).toEqual(before);
  });

  it("steps are added only to a draft, and an executing plan is cancelled only through the executor", () => {
    expect(() => planIn("approved").addStep("work", "late")).toThrow(expect.objectContaining({ code: "INVALID_STATE" }));
    expect(() => planIn("executing").cancel()).toThrow(expect.objectContaining({ code: "INVALID_STATE" }));
  });

  it("reopens only failed or cancelled plans, into pending approval when approval is needed", () => {
    const failed = planIn("failed");
    expect(failed.reopen().status).toBe("pending_approval");
    expect(failed.decision).toBeUndefined();
    const auto = new ExecutionPlan("auto", { options: { requireApproval: false } });
    auto.addStep("work", "a");
    auto.cancel("stop");
    expect(auto.reopen().status).toBe("approved");
    expect(() => planIn("completed").reopen()).toThrow(expect.objectContaining({ code: "INVALID_STATE" }));
  });
});

describe("statusAfter", () => {
  it("names the status each lifecycle event leads to, and nothing for the others", () => {
    const at = 1;
    expect(statusAfter({ type: "plan.approved", at, data: { by: ["a"] } })).toBe("approved");
    expect(statusAfter({ type: "plan.reopened", at, data: { status: "pending_approval", resetSteps: [] } })).toBe("pending_approval");
    expect(statusAfter({ type: "plan.started", at, data: { run: 1 } })).toBe("executing");
    expect(statusAfter({ type: "plan.cancelled", at, data: { reason: "r" } })).toBe("cancelled");
    expect(statusAfter({ type: "step.started", at, data: { stepId: "s", attempt: 1 } })).toBeUndefined();
    expect(statusAfter({ type: "vote.cast", at, data: { vote: { voterId: "v", voterName: "V", decision: "approve", version: 1, at } } })).toBeUndefined();
  });
});
