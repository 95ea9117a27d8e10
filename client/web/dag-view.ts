/**
 * The plan's DAG drawn as an SVG graph: steps as nodes in dependency layers (see `dag-layout.ts`),
 * edges for `dependsOn`, coloured by status and updated in place as events arrive.
 */
import type { PlanData, Step } from "../../shared/index.js";
import { layoutDag, type DagLayout } from "./dag-layout.js";
import { h, svg } from "./element.js";
import { formatDuration } from "../../shared/index.js";
import { STEP_STATUS_LABEL, statusClass, stepStateText, stepWaitingLabel } from "./status-text.js";

/** Shortens text to `max` characters with an ellipsis. */
function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`;
}

/** Advance of one character of the monospace labels, as a share of the font size (a little above 0.6 for safety). */
const MONO_ADVANCE = 0.61;
const LABEL_CHAR = 13 * MONO_ADVANCE;
const TOOL_CHAR = 11 * MONO_ADVANCE;
/** Horizontal room in a node's first line: after the stripe and left padding, before the right padding. */
const LEFT_INSET = 16;
const RIGHT_INSET = 10;
/** The least space kept clear between the id and the tool name. */
const LABEL_GAP = 8;

/**
 * How many characters of the step id and of the tool name fit side by side on a node's first line
 * without overprinting: both whole when they fit; otherwise the tool keeps what the id leaves it but
 * at least a third of the line, and the id is clipped to the rest.
 */
export function labelBudget(id: string, tool: string, nodeWidth: number): { idChars: number; toolChars: number } {
  const room = nodeWidth - LEFT_INSET - RIGHT_INSET;
  if (tool.length === 0) return { idChars: Math.max(1, Math.floor(room / LABEL_CHAR)), toolChars: 0 };
  const leftByIdChars = Math.floor((room - LABEL_GAP - id.length * LABEL_CHAR) / TOOL_CHAR);
  const floorChars = Math.floor(room / 3 / TOOL_CHAR);
  const toolChars = Math.max(1, Math.min(tool.length, Math.max(leftByIdChars, floorChars)));
  const idChars = Math.max(1, Math.floor((room - LABEL_GAP - toolChars * TOOL_CHAR) / LABEL_CHAR));
  return { idChars: Math.min(id.length, idChars), toolChars };
}

/** What the node's second line says about a step. */
function stepNote(step: Step): string {
  const status = STEP_STATUS_LABEL[step.status];
  if (step.status === "running") return stepStateText(step);
  if (step.durationMs !== undefined && (step.status === "completed" || step.status === "failed")) return `${status} · ${formatDuration(step.durationMs)}`;
  return status;
}

interface NodeParts {
  group: SVGGElement;
  note: SVGTextElement;
  title: SVGTitleElement;
}

/** A live drawing of a plan's DAG. */
export class DagView {
  /** The scrollable container holding the SVG. */
  readonly element: HTMLElement;
  #shape = "";
  #layout: DagLayout | undefined;
  readonly #nodes = new Map<string, NodeParts>();
  readonly #edges: { from: string; to: string; path: SVGPathElement }[] = [];
  readonly #onSelect: ((stepId: string) => void) | undefined;

  constructor(options: { onSelect?: (stepId: string) => void } = {}) {
    this.#onSelect = options.onSelect;
    this.element = h("div", { class: "dag-scroll", role: "group", "aria-label": "Plan steps as a dependency graph" });
  }

  /** Redraws when the steps or their dependencies changed, then recolours every node and edge. */
  update(plan: Pick<PlanData, "steps">): void {
    const shape = JSON.stringify(plan.steps.map((s) => [s.id, s.tool, s.description, s.dependsOn]));
    if (shape !== this.#shape) {
      this.#shape = shape;
      this.#draw(plan.steps);
    }
    const statusOf = new Map(plan.steps.map((s) => [s.id, s.status]));
    for (const step of plan.steps) {
      const parts = this.#nodes.get(step.id);
      if (!parts) continue;
      parts.group.setAttribute("class", `dag-node ${statusClass(step.status)}`);
      parts.group.setAttribute("data-status", step.status);
      parts.group.setAttribute("aria-label", `Step ${step.id} (${step.tool}): ${stepWaitingLabel(step) ?? STEP_STATUS_LABEL[step.status]}`);
      if (step.status === "running" && step.waiting) parts.group.setAttribute("data-waiting", step.waiting.reason);
      else parts.group.removeAttribute("data-waiting");
      parts.note.textContent = stepNote(step);
      parts.title.textContent = `${step.id} — ${step.tool}${step.description ? `\n${step.description}` : ""}\n${stepNote(step)}${step.error ? `\n${step.error.message}` : ""}`;
    }
    for (const edge of this.#edges) {
      const from = statusOf.get(edge.from);
      const to = statusOf.get(edge.to);
      const state = from === "completed" ? (to === "pending" ? "edge-ready" : "edge-done") : from === "failed" ? "edge-failed" : "edge-waiting";
      edge.path.setAttribute("class", `dag-edge ${state}`);
    }
  }

  #draw(steps: readonly Step[]): void {
    this.#nodes.clear();
    this.#edges.length = 0;
    if (steps.length === 0) {
      this.element.replaceChildren(h("p", { class: "muted empty", text: "This plan has no steps." }));
      return;
    }
    const layout = layoutDag(steps);
    this.#layout = layout;
    const byId = new Map(steps.map((s) => [s.id, s]));
    const marker = svg(
      "marker",
      { id: "dag-arrow", viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" },
      svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "dag-arrow" }),
    );
    const edgeLayer = svg("g", { class: "dag-edges" });
    for (const edge of layout.edges) {
      const path = svg("path", { d: edge.path, class: "dag-edge", "marker-end": "url(#dag-arrow)", "data-from": edge.from, "data-to": edge.to });
      edgeLayer.append(path);
      this.#edges.push({ from: edge.from, to: edge.to, path });
    }
    const nodeLayer = svg("g", { class: "dag-nodes" });
    for (const node of layout.nodes) {
      const step = byId.get(node.id);
      if (!step) continue;
      const budget = labelBudget(step.id, step.tool, node.width);
      const title = svg("title");
      const note = svg("text", { x: node.x + LEFT_INSET, y: node.y + 40, class: "dag-note" });
      const select = (): void => this.#onSelect?.(node.id);
      const group = svg(
        "g",
        {
          class: "dag-node",
          "data-step-id": node.id,
          tabindex: "0",
          role: "button",
          on: {
            click: select,
            keydown: (event: KeyboardEvent) => {
              if (event.key === "Enter" || event.key === " ") {
                event.preventDefault();
                select();
              }
            },
          },
        },
        title,
        svg("rect", { x: node.x, y: node.y, width: node.width, height: node.height, rx: 10, class: "dag-box" }),
        svg("rect", { x: node.x, y: node.y, width: 6, height: node.height, rx: 3, class: "dag-stripe" }),
        svg("text", { x: node.x + LEFT_INSET, y: node.y + 21, class: "dag-label", text: clip(step.id, budget.idChars) }),
        svg("text", { x: node.x + node.width - RIGHT_INSET, y: node.y + 21, class: "dag-tool", "text-anchor": "end", text: clip(step.tool, budget.toolChars) }),
        note,
      );
      nodeLayer.append(group);
      this.#nodes.set(node.id, { group, note, title });
    }
    const drawing = svg(
      "svg",
      { class: "dag", width: layout.width, height: layout.height, viewBox: `0 0 ${layout.width} ${layout.height}`, role: "presentation" },
      svg("defs", {}, marker),
      edgeLayer,
      nodeLayer,
    );
    this.element.replaceChildren(drawing);
  }

  /** The current layout (for tests and sizing). */
  get layout(): DagLayout | undefined {
    return this.#layout;
  }
}
