/** Each step in full: tool, description, parameters (pretty JSON), and its result or error once known. */
import { formatDuration, type PlanData, type Step } from "../../shared/index.js";
import { h } from "./element.js";
import { STEP_STATUS_LABEL, statusClass, stepWaitingLabel } from "./status-text.js";

/** Pretty JSON for people (two-space indent). */
function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? "null";
}

function stepCard(step: Step, number: number, numberOf: Map<string, number>): HTMLElement {
  const timing = [
    step.durationMs !== undefined ? formatDuration(step.durationMs) : "",
    step.attempts > 1 ? `${step.attempts} attempts` : "",
  ].filter(Boolean);
  const waiting = stepWaitingLabel(step);
  return h(
    "article",
    { class: `step ${statusClass(step.status)}`, id: `step-${step.id}`, "data-step-id": step.id, "data-status": step.status, "data-waiting": waiting ? "agent" : null, tabindex: "-1", "aria-labelledby": `step-${step.id}-title` },
    h(
      "header",
      { class: "step-head" },
      h("span", { class: "step-number", text: String(number) }),
      h("h3", { id: `step-${step.id}-title` }, h("span", { class: "mono", text: step.id }), " ", h("code", { class: "tool", text: step.tool })),
      h("span", { class: `badge ${statusClass(step.status)}`, text: waiting ?? STEP_STATUS_LABEL[step.status] }),
      timing.length > 0 ? h("span", { class: "muted small", text: timing.join(" · ") }) : null,
    ),
    step.description ? h("p", { class: "step-description", text: step.description }) : null,
    waiting ? h("p", { class: "step-waiting", role: "status", text: `${waiting}: no connected agent serves ${step.waiting?.tool ?? step.tool}; its timeout is paused until one does` }) : null,
    step.dependsOn.length > 0 ? h("p", { class: "muted small", text: `Depends on ${step.dependsOn.map((d) => `${d} (#${numberOf.get(d) ?? "?"})`).join(", ")}` }) : null,
    h("details", { class: "json", open: Object.keys(step.params).length <= 6 }, h("summary", { text: "Parameters" }), h("pre", { class: "code", text: prettyJson(step.params) })),
    step.status === "completed" && step.result !== undefined ? h("details", { class: "json result", open: true }, h("summary", { text: "Result" }), h("pre", { class: "code", text: prettyJson(step.result) })) : null,
    step.error ? h("div", { class: `step-error${step.status === "failed" ? "" : " step-error-retry"}`, role: step.status === "failed" ? "alert" : null }, h("strong", { text: step.status === "failed" ? `Error ${step.error.code}` : `Last attempt failed (${step.error.code})` }), h("pre", { class: "code", text: step.error.message })) : null,
    step.reason && (step.status === "skipped" || step.status === "cancelled") ? h("p", { class: "muted small", text: `${STEP_STATUS_LABEL[step.status]}: ${step.reason}` }) : null,
  );
}

/** The list of step cards; only cards whose step changed are redrawn. */
export class StepListView {
  /** The list's root element. */
  readonly element: HTMLElement = h("div", { class: "steps" });
  readonly #signatures = new Map<string, string>();

  /** Shows the plan's steps. */
  update(plan: Pick<PlanData, "steps">): void {
    const numberOf = new Map(plan.steps.map((s, i) => [s.id, i + 1]));
    const order = plan.steps.map((s) => s.id).join("\n");
    if (order !== [...this.#signatures.keys()].join("\n")) {
      this.#signatures.clear();
      this.element.replaceChildren();
    }
    plan.steps.forEach((step, i) => {
      const signature = JSON.stringify(step);
      if (this.#signatures.get(step.id) === signature) return;
      const card = stepCard(step, i + 1, numberOf);
      const existing = this.element.children[i];
      if (this.#signatures.has(step.id) && existing) existing.replaceWith(card);
      else this.element.append(card);
      this.#signatures.set(step.id, signature);
    });
    if (plan.steps.length === 0) this.element.replaceChildren(h("p", { class: "muted empty", text: "This plan has no steps." }));
  }

  /** Scrolls to a step's card and focuses it. */
  reveal(stepId: string): void {
    const card = this.element.querySelector<HTMLElement>(`[data-step-id="${CSS.escape(stepId)}"]`);
    if (!card) return;
    card.scrollIntoView({ behavior: "smooth", block: "center" });
    card.focus({ preventScroll: true });
    card.classList.add("step-flash");
    setTimeout(() => card.classList.remove("step-flash"), 1_200);
  }
}
