import { describe, expect, it } from "vitest";
import { assignLayers, DEFAULT_DAG_GEOMETRY, edgePath, layoutDag } from "../../client/web/dag-layout.js";

const step = (id: string, ...dependsOn: string[]) => ({ id, dependsOn });

describe("assignLayers", () => {
  it("puts each step one layer past its deepest dependency (longest path)", () => {
    const layers = assignLayers([step("a"), step("b", "a"), step("c", "b"), step("d", "a", "c"), step("e")]);
    expect(Object.fromEntries(layers)).toEqual({ a: 0, b: 1, c: 2, d: 3, e: 0 });
  });
  it("ignores unknown and self dependencies", () => {
    expect(Object.fromEntries(assignLayers([step("a", "ghost"), step("b", "b", "a")]))).toEqual({ a: 0, b: 1 });
  });
  it("places steps caught in a cycle after every other step instead of looping", () => {
    const layers = assignLayers([step("a"), step("b", "a"), step("x", "y"), step("y", "x")]);
    expect(layers.get("x")).toBe(2);
    expect(layers.get("y")).toBe(2);
  });
});

describe("layoutDag", () => {
  it("draws layers as columns with every edge pointing right", () => {
    const layout = layoutDag([step("fetch"), step("parse", "fetch"), step("lint", "fetch"), step("report", "parse", "lint")]);
    expect(layout.layers).toEqual([["fetch"], ["parse", "lint"], ["report"]]);
    const x = Object.fromEntries(layout.nodes.map((n) => [n.id, n.x]));
    expect(x.fetch).toBeLessThan(x.parse!);
    expect(x.parse).toBe(x.lint);
    expect(x.lint).toBeLessThan(x.report!);
    expect(layout.edges.map((e) => `${e.from}>${e.to}`).sort()).toEqual(["fetch>lint", "fetch>parse", "lint>report", "parse>report"]);
    for (const e of layout.edges) {
      const from = layout.nodes.find((n) => n.id === e.from)!;
      const to = layout.nodes.find((n) => n.id === e.to)!;
      expect(to.x).toBeGreaterThan(from.x + from.width);
    }
  });

  it("centres shorter layers and sizes the drawing to hold every node", () => {
    const g = DEFAULT_DAG_GEOMETRY;
    const layout = layoutDag([step("a"), step("b"), step("c"), step("d", "a", "b", "c")]);
    const d = layout.nodes.find((n) => n.id === "d")!;
    const b = layout.nodes.find((n) => n.id === "b")!;
    expect(d.y).toBe(b.y);
    expect(layout.width).toBe(2 * g.margin + 2 * g.nodeWidth + g.layerGap);
    expect(layout.height).toBe(2 * g.margin + 3 * g.nodeHeight + 2 * g.nodeGap);
    for (const n of layout.nodes) {
      expect(n.x + n.width).toBeLessThanOrEqual(layout.width);
      expect(n.y + n.height).toBeLessThanOrEqual(layout.height);
    }
  });

  it("orders a layer by where its dependencies sit, to avoid crossings", () => {
    const layout = layoutDag([step("top"), step("bottom"), step("afterBottom", "bottom"), step("afterTop", "top")]);
    expect(layout.layers[1]).toEqual(["afterTop", "afterBottom"]);
  });

  it("lays out an empty plan as an empty drawing", () => {
    expect(layoutDag([])).toEqual({ width: 0, height: 0, layers: [], nodes: [], edges: [] });
  });
});

describe("edgePath", () => {
  it("runs from the middle of the right side to the middle of the left side", () => {
    const path = edgePath({ x: 0, y: 0, width: 100, height: 40 }, { x: 200, y: 60, height: 40 });
    expect(path).toBe("M 100 20 C 150 20, 150 80, 200 80");
  });
});
