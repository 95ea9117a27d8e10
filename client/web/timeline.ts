/** The execution timeline: a Gantt-like bar per step on the run's time axis (see `timeline-layout.ts`). */
import type { PlanData } from "../../shared/index.js";
import { h } from "./element.js";
import { layoutTimeline, type TimelineBar } from "./timeline-layout.js";
import { STEP_STATUS_LABEL, statusClass } from "./status-text.js";

/** Whether a bar's label goes inside the bar, at its right end (a bar reaching the right edge). */
function inside(bar: TimelineBar): boolean {
  return bar.width > 0 && bar.left + bar.width > 82 && bar.width > 14;
}

/** Where a bar's label sits: after the bar; when there is no room after it, inside its right end or before it. */
function textPosition(bar: TimelineBar): string {
  if (bar.width <= 0) return "left:0";
  if (inside(bar)) return `right:calc(${100 - bar.left - bar.width}% + 6px)`;
  if (bar.left + bar.width > 88) return `right:calc(${100 - bar.left}% + 6px)`;
  return `left:calc(${bar.left + bar.width}% + 6px)`;
}

/** A live timeline; call `update` on every change and on a clock tick while the plan runs. */
export class TimelineView {
  /** The timeline's root element. */
  readonly element: HTMLElement = h("div", { class: "timeline", role: "table", "aria-label": "Execution timeline" });

  /** Redraws the timeline of `plan` as of `now`. */
  update(plan: Pick<PlanData, "status" | "steps" | "startedAt" | "finishedAt">, now: number): void {
    const layout = layoutTimeline(plan, now);
    if (plan.steps.length === 0) {
      this.element.replaceChildren(h("p", { class: "muted empty", text: "No steps to run." }));
      return;
    }
    const axis = h(
      "div",
      { class: "timeline-row timeline-axis", role: "row", "aria-hidden": "true" },
      h("div", { class: "timeline-label" }),
      h("div", { class: "timeline-track" }, ...layout.ticks.map((t) => h("span", { class: "timeline-tick", style: `left:${t.left}%`, text: t.label }))),
    );
    const rows = layout.bars.map((bar) =>
      h(
        "div",
        { class: `timeline-row ${statusClass(bar.state)}`, role: "row", "data-step-id": bar.id, "data-state": bar.state },
        h("div", { class: "timeline-label", role: "rowheader", title: `${bar.id} — ${bar.tool}` }, h("span", { class: "timeline-id", text: bar.id }), h("span", { class: "timeline-tool", text: bar.tool })),
        h(
          "div",
          { class: "timeline-track", role: "cell", "aria-label": `${STEP_STATUS_LABEL[bar.state]}, ${bar.label}` },
          ...layout.ticks.map((t) => h("span", { class: "timeline-grid", style: `left:${t.left}%` })),
          bar.width > 0 ? h("div", { class: "timeline-bar", style: `left:${bar.left}%;width:${bar.width}%` }) : null,
          h("span", { class: `timeline-text${inside(bar) ? " timeline-text-inside" : ""}`, style: textPosition(bar), text: bar.label }),
        ),
      ),
    );
    this.element.replaceChildren(axis, ...rows);
  }
}
