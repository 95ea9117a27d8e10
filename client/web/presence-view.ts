import type { PresenceMember, Principal } from "../../shared/index.js";
import type { PresenceChange } from "../index.js";
import { h } from "./element.js";

/**
 * Who is in the room, as avatars: built from the full list once, then patched with each change
 * (one element added or removed per member who came or went, however large the room).
 */
export class PresenceView {
  /** The view's root element. */
  readonly element = h("div", { class: "presence-wrap" });
  readonly #list = h("ul", { class: "presence", "aria-label": "In the room now" });
  readonly #items = new Map<string, HTMLElement>();
  readonly #me: Principal;

  constructor(me: Principal) {
    this.#me = me;
    this.element.append(this.#list);
  }

  /** Shows exactly these members, in this order. */
  show(members: readonly PresenceMember[]): void {
    this.#items.clear();
    this.#list.replaceChildren();
    for (const m of members) this.#add(m);
  }

  /** Applies a change: newcomers at the end, leavers removed (one already shown, or already gone, is left as it is). */
  apply(change: PresenceChange): void {
    for (const m of change.left) {
      this.#items.get(m.id)?.remove();
      this.#items.delete(m.id);
    }
    for (const m of change.joined) this.#add(m);
  }

  #add(m: PresenceMember): void {
    if (this.#items.has(m.id)) return;
    const mine = m.id === this.#me.id;
    const item = h(
      "li",
      { class: `avatar${mine ? " avatar-me" : ""}`, title: `${m.name} (${m.roles.join(", ")})`, "data-member": m.id },
      h("span", { class: "avatar-initial", "aria-hidden": "true", text: (m.name.trim()[0] ?? "?").toUpperCase() }),
      h("span", { class: "avatar-name", text: mine ? `${m.name} (you)` : m.name }),
    );
    this.#items.set(m.id, item);
    this.#list.append(item);
  }
}
