/** The live event log of a plan room: newest first, each event as one readable, coloured line. */
import type { PlanEvent } from "../../shared/index.js";
import { h } from "./element.js";
import { describeEvent } from "./event-text.js";
import { formatClock } from "./format-time.js";

/** Most lines kept on screen. */
const EVENT_LOG_LIMIT = 300;

/** A live list of events. */
export class EventLogView {
  /** The log's root element. */
  readonly element: HTMLElement;
  readonly #list: HTMLOListElement;
  readonly #seen = new Set<number>();

  constructor() {
    this.#list = h("ol", { class: "event-log", role: "log", "aria-label": "Event log", "aria-live": "off" });
    this.element = h("div", { class: "event-log-wrap" }, this.#list);
    this.#list.append(h("li", { class: "event-empty muted", text: "Waiting for events…" }));
  }

  /** Adds an event (once per seq). */
  add(event: PlanEvent): void {
    if (this.#seen.has(event.seq)) return;
    this.#seen.add(event.seq);
    this.#list.querySelector(".event-empty")?.remove();
    const { text, tone } = describeEvent(event);
    const item = h(
      "li",
      { class: `event tone-${tone}`, "data-seq": event.seq, "data-type": event.type },
      h("time", { datetime: new Date(event.at).toISOString(), text: formatClock(event.at) }),
      h("span", { class: "event-text", text }),
    );
    const after = Array.from(this.#list.children).find((li) => Number((li as HTMLElement).dataset.seq) < event.seq);
    this.#list.insertBefore(item, after ?? null);
    while (this.#list.children.length > EVENT_LOG_LIMIT) this.#list.lastElementChild?.remove();
  }

  /** Adds a note that is not an event (e.g. "joined at event 42"). */
  note(text: string): void {
    this.#list.querySelector(".event-empty")?.remove();
    this.#list.append(h("li", { class: "event tone-muted", "data-seq": 0 }, h("time", { text: "" }), h("span", { class: "event-text", text })));
  }
}
