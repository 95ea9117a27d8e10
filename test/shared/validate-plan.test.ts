import { describe, expect, it } from "vitest";
import { ExecutionPlan, PlanroomError, validateSteps, type StepShape } from "../../shared/index.js";
import type { Issue } from "../../shared/errors.js";
import { findRefs, hasRefs } from "../../shared/refs.js";
import { seededRandom } from "../support/seeded-random.js";

const step = (id: string, dependsOn: string[] = [], params: unknown = {}, tool = "work"): StepShape => ({ id, tool, params, dependsOn });
const codes = (steps: StepShape[]) => validateSteps(steps).map((i) => i.code);

describe("validateSteps", () => {
  it("accepts a valid DAG", () => {
    expect(validateSteps([step("a"), step("b", ["a"]), step("c", ["a", "b"], { x: { $ref: "steps.a.result.y" } })])).toEqual([]);
  });

  it("reports duplicate ids, unknown and duplicate dependencies, self-dependencies and empty tools with paths", () => {
    const issues = validateSteps([step("a"), step("a"), step("b", ["b", "ghost", "a", "a"]), step("c", [], {}, "  ")]);
    expect(issues).toEqual([
      { path: ["steps", 1, "id"], code: "duplicate_id", message: 'duplicate step id "a"' },
      { path: ["steps", 3, "tool"], code: "empty_tool", message: "tool name is empty" },
      { path: ["steps", 2, "dependsOn", 0], code: "self_dependency", message: 'step "b" depends on itself' },
      { path: ["steps", 2, "dependsOn", 1], code: "unknown_dependency", message: 'step "b" depends on unknown step "ghost"' },
      { path: ["steps", 2, "dependsOn", 3], code: "duplicate_dependency", message: 'step "b" lists "a" twice' },
    ]);
  });

  it("names the cycle", () => {
    const issues = validateSteps([step("a", ["c"]), step("b", ["a"]), step("c", ["b"]), step("d")]);
    expect(issues).toEqual([{ path: ["steps"], code: "cycle", message: "dependency cycle: b → c → a → b" }]);
    expect(validateSteps([step("x", ["y"]), step("y", ["x"])])[0]?.message).toMatch(/^dependency cycle: (x → y → x|y → x → y)$/);
  });

  it("refuses params that are not JSON, and prototype-pollution keys", () => {
    const params = JSON.parse('{"ok":1,"__proto__":{"admin":true},"nested":{"constructor":1,"list":[1,{"prototype":2}]}}') as unknown;
    const issues = validateSteps([step("a", [], params), step("b", [], { n: Number.NaN, f: () => 1, d: new Date(0) })]);
    expect(issues.map((i) => [i.path.join("."), i.message])).toEqual([
      ["steps.0.params.__proto__", 'key "__proto__" is not allowed'],
      ["steps.0.params.nested.constructor", 'key "constructor" is not allowed'],
      ["steps.0.params.nested.list.1.prototype", 'key "prototype" is not allowed'],
      ["steps.1.params.n", "number is not finite (not JSON)"],
      ["steps.1.params.f", "function is not JSON"],
      ["steps.1.params.d", "not a plain JSON object"],
    ]);
    expect(issues.every((i) => i.code === "not_json")).toBe(true);
  });

  it("refuses malformed references and references to steps that are not (transitive) dependencies", () => {
    const issues = validateSteps([
      step("a"),
      step("b", ["a"]),
      step("c", ["b"], { ok: { $ref: "steps.a.result.x" }, list: [{ $ref: "steps.d.result" }], bad: { $ref: "a.result" }, num: { $ref: 3 } }),
      step("d"),
    ]);
    expect(issues.map((i) => [i.path.join("."), i.message])).toEqual([
      ["steps.2.params.bad", 'invalid reference "a.result": expected "steps.<id>.result[.<path>]"'],
      ["steps.2.params.num", 'invalid reference 3: expected "steps.<id>.result[.<path>]"'],
      ["steps.2.params.list.0", 'step "c" references "d", which is not one of its (transitive) dependencies'],
    ]);
  });

  it("reports unknown tools when asked, as UNKNOWN_TOOL when that is the only problem", () => {
    const plan = new ExecutionPlan("tools");
    plan.addStep("work", "a");
    plan.addStep("mystery", "b");
    expect(plan.validate({ hasTool: (t) => t === "work" }).map((i) => i.code)).toEqual(["unknown_tool"]);
    expect(() => plan.assertValid({ hasTool: (t) => t === "work" })).toThrow(expect.objectContaining({ code: "UNKNOWN_TOOL" }));
    expect(codes([step("a", ["zzz"], {}, "mystery")])).toEqual(["unknown_dependency"]);
  });

  it("throws one VALIDATION error listing every issue, and an empty description is an issue", () => {
    const plan = new ExecutionPlan("  ");
    expect(plan.validate()[0]).toMatchObject({ path: ["description"], code: "empty" });
    const bad = new ExecutionPlan("bad");
    bad.addStep("work", "a", {}, { id: "a", dependsOn: ["a"] });
    const error = (() => {
      try {
        bad.assertValid();
      } catch (e) {
        return e as PlanroomError;
      }
      throw new Error("no error");
    })();
    expect(error).toBeInstanceOf(PlanroomError);
    expect(error.code).toBe("VALIDATION");
    expect(error.issues).toHaveLength(1);
    expect(error.message).toContain("depends on itself");
  });

  it("a plan's own step index is trusted only when it matches its steps", () => {
    const plan = new ExecutionPlan("index");
    plan.addStep("work", "a", {}, { id: "a" });
    plan.addStep("work", "b", {}, { id: "b", dependsOn: ["a"] });
    expect(plan.validate()).toEqual([]);
    // Changed in place behind the index's back: a duplicate id and a dependency on a new id.
    plan.steps[1] = { ...plan.steps[1]!, id: "a" };
    plan.steps[0] = { ...plan.steps[0]!, id: "c", dependsOn: [] };
    plan.steps.push({ ...plan.steps[0], id: "d", dependsOn: ["c"] });
    expect(plan.validate().map((i) => i.code)).toEqual(["self_dependency"]);
    plan.steps[1] = { ...plan.steps[1], id: "c", dependsOn: [] };
    expect(plan.validate().map((i) => i.message)).toEqual(['duplicate step id "c"']);
  });

  it("stays linear on a large plan", () => {
    const steps = Array.from({ length: 50_000 }, (_, i) => step(`s${i}`, i > 0 ? [`s${i - 1}`] : []));
    expect(validateSteps(steps)).toEqual([]);
  });

  it("accepts a long chain whose steps all reference the first, and still catches a reference out of it", () => {
    const refFirst = { x: { $ref: "steps.s0.result" } };
    const steps = Array.from({ length: 7_000 }, (_, i) => step(`s${i}`, i > 0 ? [`s${i - 1}`] : [], i > 0 ? refFirst : {}));
    expect(validateSteps(steps)).toEqual([]);
    steps.push(step("loose", [], refFirst), step("tail", ["s6999"], { y: [{ $ref: "steps.loose.result" }, { $ref: "steps.s3500.result.z" }] }));
    expect(validateSteps(steps).map((i) => [i.path.join("."), i.message])).toEqual([
      ["steps.7000.params.x", 'step "loose" references "s0", which is not one of its (transitive) dependencies'],
      ["steps.7001.params.y.0", 'step "tail" references "loose", which is not one of its (transitive) dependencies'],
    ]);
  });

  it("answers references to many distinct indirect dependencies (more than one propagation pass)", () => {
    // A chain where step i references step i - 2 (an indirect dependency), and each tenth step also
    // references the step after it (not a dependency): about 1,200 distinct targets.
    const n = 1_200;
    const steps = Array.from({ length: n }, (_, i) => {
      const params: Record<string, unknown> = {};
      if (i >= 2) params.back = { $ref: `steps.s${i - 2}.result` };
      if (i % 10 === 0 && i + 1 < n) params.ahead = { $ref: `steps.s${i + 1}.result` };
      return step(`s${i}`, i > 0 ? [`s${i - 1}`] : [], params);
    });
    expect(validateSteps(steps)).toEqual(referenceRefIssues(steps));
    expect(validateSteps(steps)).toHaveLength(Math.ceil((n - 1) / 10));
  });

  it("keeps what one pass learnt about ancestors out of the next", () => {
    // Two interleaved chains, p and q, with q0 after p0. Each p step references the one two back
    // (300 distinct targets), so q steps inherit p0 and nothing else of p; q300 references p256.
    const steps: StepShape[] = [];
    for (let i = 0; i < 302; i++) {
      steps.push(step(`p${i}`, i > 0 ? [`p${i - 1}`] : [], i >= 2 ? { x: { $ref: `steps.p${i - 2}.result` } } : {}));
      const q = i === 300 ? { y: { $ref: "steps.p256.result" }, z: { $ref: "steps.p0.result" } } : {};
      steps.push(step(`q${i}`, [i > 0 ? `q${i - 1}` : "p0"], q));
    }
    expect(validateSteps(steps).map((i) => i.path.join("."))).toEqual(["steps.601.params.y"]);
    expect(validateSteps(steps)).toEqual(referenceRefIssues(steps));
  });

  it("reports the same reference issues, in the same order, as a walk of every step's ancestors", () => {
    const random = seededRandom(20_240_611);
    for (let round = 0; round < 300; round++) {
      const n = 1 + Math.floor(random() * (round % 10 === 0 ? 700 : 40));
      const steps = randomPlan(n, random);
      let graphRefs: Uint8Array | undefined;
      const issues = validateSteps(steps, { onGraph: (graph) => (graphRefs = graph.hasRefs) });
      const expected = referenceRefIssues(steps);
      expect(issues.filter((i) => i.code === "invalid_ref")).toEqual(expected);
      expect(issues.every((i) => i.code === "invalid_ref" || i.code === "duplicate_dependency")).toBe(true);
      if (issues.length === 0) expect(Array.from(graphRefs ?? [])).toEqual(steps.map((s) => (hasRefs(s.params) ? 1 : 0)));
    }
  });
});

/** The plain check that references must pass: walks the full ancestor set of each referring step. */
function referenceRefIssues(steps: readonly StepShape[]): Issue[] {
  const issues: Issue[] = [];
  const index = new Map(steps.map((s, i) => [s.id, i]));
  steps.forEach((s, i) => {
    if (!hasRefs(s.params)) return;
    const refs = findRefs(s.params, (at, message) => issues.push({ path: ["steps", i, "params", ...at], code: "invalid_ref", message }));
    if (refs.length === 0) return;
    const ancestors = new Set<string>();
    const stack = [...s.dependsOn];
    while (stack.length > 0) {
      const id = stack.pop() as string;
      if (ancestors.has(id)) continue;
      ancestors.add(id);
      stack.push(...steps[index.get(id) as number]!.dependsOn);
    }
    for (const ref of refs) {
      if (!ancestors.has(ref.stepId)) {
        issues.push({ path: ["steps", i, "params", ...ref.at], code: "invalid_ref", message: `step "${s.id}" references "${ref.stepId}", which is not one of its (transitive) dependencies` });
      }
    }
  });
  return issues;
}


/**
 * An acyclic plan with unique ids and known dependencies (so that references are checked), listed
 * in shuffled order, whose params reference ancestors, direct dependencies, later or unrelated
 * steps, themselves, unknown steps, or nothing well-formed.
 */
function randomPlan(n: number, random: () => number): StepShape[] {
  const pick = (k: number) => Math.floor(random() * k);
  const ids = Array.from({ length: n }, (_, i) => `t${i}`); // t0 … t(n-1) is a topological order
  const deps = ids.map((_, i) => {
    const list: string[] = [];
    const count = i === 0 ? 0 : pick(Math.min(i, 4) + 1);
    for (let d = 0; d < count; d++) list.push(ids[random() < 0.6 ? Math.max(0, i - 1 - pick(3)) : pick(i)]!);
    if (list.length > 1 && random() < 0.1) list.push(list[0]!); // a duplicate dependency
    return list;
  });
  const ref = (i: number): unknown => {
    const roll = random();
    let target: string;
    if (roll < 0.3 && deps[i]!.length > 0) target = deps[i]![pick(deps[i]!.length)]!;
    else if (roll < 0.75 && i > 0) target = ids[pick(i)]!;
    else if (roll < 0.85) target = ids[pick(n)]!;
    else if (roll < 0.9) target = ids[i]!;
    else if (roll < 0.95) target = "ghost";
    else return { $ref: random() < 0.5 ? "nope" : 7 };
    return { $ref: `steps.${target}.result${random() < 0.3 ? ".field" : ""}` };
  };
  const params = ids.map((_, i) => {
    const count = pick(4);
    const p: Record<string, unknown> = {};
    for (let r = 0; r < count; r++) p[`k${r}`] = random() < 0.3 ? [1, { deep: ref(i) }] : ref(i);
    return p;
  });
  const order = ids.map((_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = pick(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order.map((i) => step(ids[i]!, deps[i], params[i]));
}
