/** Small typed builders for DOM and SVG elements, so that views read like the markup they make. */

/** Attributes of {@link h}: `class`, `text`, event listeners under `on`, anything else as an attribute. */
export interface ElementAttributes {
  class?: string | undefined;
  text?: string | undefined;
  on?: { [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void };
  [attribute: string]: unknown;
}

/** A child: a node, text, or nothing (skipped). */
export type Child = Node | string | null | undefined | false;

/** The text of an attribute value: strings, numbers and booleans only (an object here is a bug in a view). */
function attributeText(name: string, value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw new TypeError(`attribute "${name}" must be a string, a number or a boolean`);
}

function apply(element: Element, attributes: ElementAttributes, children: Child[]): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") element.setAttribute("class", attributeText(name, value));
    else if (name === "text") element.textContent = attributeText(name, value);
    else if (name === "on") {
      for (const [type, listener] of Object.entries(value as Record<string, EventListener>)) element.addEventListener(type, listener);
    } else element.setAttribute(name, value === true ? "" : attributeText(name, value));
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) element.append(child);
}

/** Creates an HTML element: `h("button", { class: "primary", on: { click } }, "Approve")`. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: ElementAttributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  apply(element, attributes, children);
  return element;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** Creates an SVG element. */
export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: ElementAttributes = {}, ...children: Child[]): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG_NS, tag);
  apply(element, attributes, children);
  return element;
}

/** Replaces an element's children. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren(...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false));
}
