import { describe, expect, it } from "vitest";
import { edgePath } from "../../client/web/dag-edge-path.js";
import { assignLayers } from "../../client/web/dag-layering.js";
import { DEFAULT_DAG_GEOMETRY, layoutDag, type DagLayout, type DagNode } from "../../client/web/dag-layout.js";

const step = (id: string, ...dependsOn: string[]) => ({ id, dependsOn });

/** The release plan of the dashboard: `lint -> deploy` skips the layer of `test`. */
const RELEASE = [step("fetch"), step("build", "fetch"), step("lint", "fetch"), step("notify", "fetch"), step("test", "build"), step("deploy", "test", "lint")];

/** Points along an SVG path made of `M`, `L` and `C` commands, `perSegment` to each segment. */
function samplePath(path: string, perSegment = 40): [number, number][] {
  const tokens = path.split(/[\s,]+/).filter(Boolean);
  const points: [number, number][] = [];
  let x = 0;
  let y = 0;
  for (let i = 0; i < tokens.length; ) {
    const command = tokens[i++];
    const args = (n: number) => tokens.slice(i, (i += n)).map(Number);
    if (command === "M") {
      [x, y] = args(2) as [number, number];
      points.push([x, y]);
    } else if (command === "L") {
      const [x2, y2] = args(2) as [number, number];
      for (let k = 1; k <= perSegment; k++) points.push([x + ((x2 - x) * k) / perSegment, y + ((y2 - y) * k) / perSegment]);
      [x, y] = [x2, y2];
    } else if (command === "C") {
      const [ax, ay, bx, by, x2, y2] = args(6) as [number, number, number, number, number, number];
      for (let k = 1; k <= perSegment; k++) {
        const t = k / perSegment;
        const u = 1 - t;
        points.push([u * u * u * x + 3 * u * u * t * ax + 3 * u * t * t * bx + t * t * t * x2, u * u * u * y + 3 * u * u * t * ay + 3 * u * t * t * by + t * t * t * y2]);
      }
      [x, y] = [x2, y2];
    } else throw new Error(`unexpected path command ${command}`);
  }
  return points;
}

/** Whether a point lies inside a node's box (its border excluded, where edges start and end). */
const inside = ([x, y]: [number, number], n: DagNode) => x > n.x && x < n.x + n.width && y > n.y && y < n.y + n.height;

/** Edges whose drawn path enters the box of some node, as `from>to@node`. */
function edgesThroughNodes(layout: DagLayout): string[] {
  const hits: string[] = [];
  for (const e of layout.edges) {
    const points = samplePath(e.path);
    for (const n of layout.nodes) if (points.some((p) => inside(p, n))) hits.push(`${e.from}>${e.to}@${n.id}`);
  }
  return hits;
}

/** A deterministic pseudo-random plan: each step depends on up to three of the `reach` steps before it. */
function randomPlan(size: number, reach: number, seed: number) {
  let state = seed;
  const random = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  return Array.from({ length: size }, (_, i) => {
    const deps = Array.from({ length: 3 }, () => (i > 0 && random() < 0.7 ? `s${Math.max(0, i - 1 - Math.floor(random() * reach))}` : ""));
    return step(`s${i}`, ...deps.filter(Boolean));
  });
}

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

  it("routes an edge that skips layers around the nodes in between, not behind them", () => {
    const layout = layoutDag(RELEASE);
    expect(layout.layers).toEqual([["fetch"], ["build", "lint", "notify"], ["test"], ["deploy"]]);
    const test = layout.nodes.find((n) => n.id === "test")!;
    const edge = layout.edges.find((e) => e.from === "lint" && e.to === "deploy")!;
    expect(edge.via).toHaveLength(1);
    const [run] = edge.via;
    expect(run).toMatchObject({ fromLayer: 2, toLayer: 2, x: test.x, width: test.width });
    expect(run!.y < test.y || run!.y > test.y + test.height).toBe(true);
    expect(samplePath(edge.path).filter((p) => inside(p, test))).toEqual([]);
    expect(edgesThroughNodes(layout)).toEqual([]);
    for (const e of layout.edges.filter((e) => e !== edge)) expect(e.via).toEqual([]);
  });

  it("keeps the nodes of a layer clear of the edges passing through it, in plans of every shape", () => {
    const g = DEFAULT_DAG_GEOMETRY;
    for (let seed = 1; seed <= 40; seed++) {
      const layout = layoutDag(randomPlan(10 + seed, 1 + (seed % 12), seed));
      expect(edgesThroughNodes(layout), `seed ${seed}`).toEqual([]);
      for (const e of layout.edges) {
        for (const run of e.via) {
          expect(run.x + run.width).toBeLessThanOrEqual(layout.width);
          expect(run.y).toBeGreaterThanOrEqual(0);
          expect(run.y).toBeLessThanOrEqual(layout.height);
          const between = layout.nodes.filter((n) => n.layer >= run.fromLayer && n.layer <= run.toLayer);
          for (const n of between) expect(run.y <= n.y - g.edgeGap || run.y >= n.y + n.height + g.edgeGap, `seed ${seed}: ${e.from}>${e.to} by ${n.id}`).toBe(true);
        }
      }
      for (const ids of layout.layers) {
        const boxes = layout.nodes.filter((n) => ids.includes(n.id)).sort((a, b) => a.y - b.y);
        for (let i = 1; i < boxes.length; i++) expect(boxes[i]!.y).toBeGreaterThanOrEqual(boxes[i - 1]!.y + g.nodeHeight + g.nodeGap);
      }
    }
  });

  it("lets the edges leaving one step share their route through the layers they skip", () => {
    const chain = Array.from({ length: 8 }, (_, i) => step(`c${i}`, "setup", ...(i > 0 ? [`c${i - 1}`] : [])));
    const layout = layoutDag([step("setup"), ...chain]);
    const heightAt = new Map<number, number>();
    for (const e of layout.edges.filter((e) => e.from === "setup")) {
      for (const run of e.via) {
        for (let l = run.fromLayer; l <= run.toLayer; l++) {
          expect(heightAt.get(l) ?? run.y).toBe(run.y);
          heightAt.set(l, run.y);
        }
      }
    }
    expect([...heightAt.keys()].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(edgesThroughNodes(layout)).toEqual([]);
  });

  it("lays out a plan of thousands of steps with long edges quickly", () => {
    const hub = [step("setup"), ...Array.from({ length: 2000 }, (_, i) => step(`c${i}`, "setup", ...(i > 0 ? [`c${i - 1}`] : [])))];
    const started = performance.now();
    const layout = layoutDag([...hub, step("report", ...hub.map((s) => s.id))]);
    expect(layout.nodes).toHaveLength(2002);
    expect(layout.edges).toHaveLength(4000 + 2000);
    expect(performance.now() - started).toBeLessThan(5_000);
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
  it("runs straight through each layer it skips, with S-curves between layers", () => {
    const path = edgePath({ x: 0, y: 0, width: 100, height: 40 }, { x: 400, y: 60, height: 40 }, [{ x: 200, y: 50, width: 100 }]);
    expect(path).toBe("M 100 20 C 150 20, 150 50, 200 50 L 300 50 C 350 50, 350 80, 400 80");
  });
});
