import type { PlanData, PlanEvent } from "../../shared/index.js";

/** Plan events that leave every step as it is (step events change only the step they name). */
const STEPS_UNTOUCHED: ReadonlySet<string> = new Set(["vote.cast", "plan.approved", "plan.rejected", "plan.expired", "plan.started", "plan.completed", "plan.failed", "plan.cancelled"]);

/**
 * The JSON text of a plan that changes a step at a time: each step's text is kept until an event
 * changes that step, so encoding a 10,000-step plan after a few events re-encodes only those steps
 * and joins the rest. Tell it every event folded into the plan (`invalidate`), in order.
 */
export class PlanJsonCache {
  private texts: (string | undefined)[] = [];
  private positions = new Map<string, number>();
  /** The steps array the texts were made for (a revision replaces it). */
  private steps: unknown[] | undefined;

  /** Forgets what `event` changed. */
  invalidate(event: PlanEvent): void {
    const stepId = event.type.startsWith("step.") ? (event.data as { stepId?: unknown }).stepId : undefined;
    if (typeof stepId === "string") {
      const i = this.positions.get(stepId);
      if (i !== undefined) this.texts[i] = undefined;
      return;
    }
    if (!STEPS_UNTOUCHED.has(event.type)) this.steps = undefined;
  }

  /** `JSON.stringify(plan)`, with the keys of the plan in another order (`steps` last). */
  encode(plan: PlanData): string {
    if (this.steps !== plan.steps) {
      this.steps = plan.steps;
      this.texts = new Array<string | undefined>(plan.steps.length);
      this.positions = new Map(plan.steps.map((s, i) => [s.id, i]));
    }
    const { steps, ...rest } = plan;
    const parts = new Array<string>(steps.length);
    for (let i = 0; i < steps.length; i++) parts[i] = this.texts[i] ??= JSON.stringify(steps[i]);
    const head = JSON.stringify(rest);
    return `${head.length > 2 ? `${head.slice(0, -1)},` : "{"}"steps":[${parts.join(",")}]}`;
  }
}
