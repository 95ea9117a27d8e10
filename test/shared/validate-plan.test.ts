import { describe, expect, it } from "vitest";
import { ExecutionPlan, PlanroomError, validateSteps, type StepShape } from "../../shared/index.js";

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
    const issues = validateSteps([step("a", [], params), step("b", [], { n: Number.NaN, f: () => 1, d: new Date(0) } as unknown)]);
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
    plan.steps.push({ ...plan.steps[0]!, id: "d", dependsOn: ["c"] });
    expect(plan.validate().map((i) => i.code)).toEqual(["self_dependency"]);
    plan.steps[1] = { ...plan.steps[1]!, id: "c", dependsOn: [] };
    expect(plan.validate().map((i) => i.message)).toEqual(['duplicate step id "c"']);
  });

  it("stays linear on a large plan", () => {
    const steps = Array.from({ length: 50_000 }, (_, i) => step(`s${i}`, i > 0 ? [`s${i - 1}`] : []));
    expect(validateSteps(steps)).toEqual([]);
  });
});
