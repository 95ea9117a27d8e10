/**
 * The plans list, live: status, submitter, progress, votes and age of every plan this principal
 * may see, filtered by status; new plans appear without a reload (a `WatchHandle` keeps the rows).
 */
import { matchesListFilter, type PlanListFilter, type PlanListItem } from "../../shared/index.js";
import type { WatchHandle } from "../index.js";
import { h, replaceChildren } from "./element.js";
import { formatAge } from "./format-time.js";
import { routeHash } from "./router.js";
import { PLAN_STATUS_LABEL, statusClass } from "./status-text.js";
import { RenderBatcher } from "./render-batcher.js";

/** The filter choices, in the order shown. */
const FILTERS: { id: string; label: string; filter: PlanListFilter }[] = [
  { id: "all", label: "All", filter: {} },
  { id: "pending", label: "Pending approval", filter: { status: ["pending_approval", "draft"] } },
  { id: "running", label: "Running", filter: { status: ["approved", "executing"] } },
  { id: "completed", label: "Completed", filter: { status: ["completed"] } },
  { id: "failed", label: "Failed", filter: { status: ["failed"] } },
  { id: "closed", label: "Rejected / cancelled", filter: { status: ["rejected", "expired", "cancelled"] } },
];

/** The votes column: `2/3 approvals`, plus rejections when there are any. */
export function votesText(item: Pick<PlanListItem, "approvals" | "rejections" | "quorum">): string {
  const base = `${item.approvals}/${item.quorum} approval${item.quorum === 1 ? "" : "s"}`;
  return item.rejections > 0 ? `${base} · ${item.rejections} rejected` : base;
}

/** The live plans list. */
export class PlansListView {
  /** The view's root element. */
  readonly element: HTMLElement;
  readonly #watch: WatchHandle;
  readonly #body = h("tbody");
  readonly #filters = h("div", { class: "filters", role: "group", "aria-label": "Filter by status" });
  readonly #count = h("p", { class: "muted count", "aria-live": "polite" });
  readonly #off: (() => void)[] = [];
  #filter = "all";
  readonly #renders = new RenderBatcher(() => this.render());

  constructor(watch: WatchHandle, initialFilter = "all") {
    this.#watch = watch;
    this.#filter = FILTERS.some((f) => f.id === initialFilter) ? initialFilter : "all";
    const table = h(
      "table",
      { class: "plans" },
      h("caption", { class: "visually-hidden", text: "Plans" }),
      h(
        "thead",
        {},
        h("tr", {}, ...["Plan", "Status", "Submitted by", "Progress", "Votes", "Age"].map((label) => h("th", { scope: "col", text: label }))),
      ),
      this.#body,
    );
    this.element = h(
      "section",
      { class: "plans-view", "aria-labelledby": "plans-title" },
      h("div", { class: "page-head" }, h("h1", { id: "plans-title", text: "Plans" }), this.#count),
      this.#filters,
      h("div", { class: "card table-card" }, table),
    );
    this.#off.push(watch.on("plan", () => this.#renders.schedule()));
    this.render();
  }

  /** Redraws the filters and rows (also called on a clock tick for the ages). */
  render(now = Date.now()): void {
    const rows = [...this.#watch.plans.values()];
    const chosen = FILTERS.find((f) => f.id === this.#filter) ?? FILTERS[0]!;
    replaceChildren(
      this.#filters,
      ...FILTERS.map((f) => {
        const count = rows.filter((r) => matchesListFilter(r, f.filter)).length;
        return h(
          "button",
          {
            type: "button",
            class: `chip${f.id === this.#filter ? " chip-on" : ""}`,
            "aria-pressed": String(f.id === this.#filter),
            "data-filter": f.id,
            on: {
              click: () => {
                this.#filter = f.id;
                this.render();
                this.#filters.querySelector<HTMLElement>(`[data-filter="${f.id}"]`)?.focus();
              },
            },
          },
          f.label,
          h("span", { class: "chip-count", text: String(count) }),
        );
      }),
    );
    const shown = rows.filter((r) => matchesListFilter(r, chosen.filter)).sort((a, b) => b.createdAt - a.createdAt);
    this.#count.textContent = `${shown.length} of ${rows.length} plan${rows.length === 1 ? "" : "s"}`;
    if (shown.length === 0) {
      replaceChildren(this.#body, h("tr", {}, h("td", { colspan: 6, class: "empty muted", text: rows.length === 0 ? "No plans yet. Plans submitted by agents appear here as they arrive." : "No plans match this filter." })));
      return;
    }
    replaceChildren(
      this.#body,
      ...shown.map((item) =>
        h(
          "tr",
          { "data-plan-id": item.id, "data-status": item.status },
          h("td", { class: "plan-cell" }, h("a", { href: routeHash({ name: "plan", planId: item.id }), class: "plan-link", title: item.description, text: item.description }), h("div", { class: "muted small mono", text: `${item.id} · v${item.version}` })),
          h("td", {}, h("span", { class: `badge ${statusClass(item.status)}`, text: PLAN_STATUS_LABEL[item.status] })),
          h("td", { class: "submitter-cell", text: item.submittedBy.name }),
          h(
            "td",
            {},
            h(
              "div",
              { class: "meter", role: "progressbar", "aria-label": `Progress of ${item.description}`, "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": Math.round(item.progress) },
              h("div", { class: `meter-fill ${statusClass(item.status)}`, style: `width:${item.progress}%` }),
            ),
            h("div", { class: "muted small", text: `${item.finished}/${item.total} steps` }),
          ),
          h("td", { class: "votes-cell", text: votesText(item) }),
          h("td", {}, h("time", { datetime: new Date(item.createdAt).toISOString(), title: `submitted ${new Date(item.createdAt).toLocaleString()}, last change ${formatAge(item.updatedAt, now)}`, text: formatAge(item.createdAt, now) })),
        ),
      ),
    );
  }

  /** Stops following the list. */
  close(): void {
    for (const off of this.#off.splice(0)) off();
    this.#renders.cancel();
  }

}
