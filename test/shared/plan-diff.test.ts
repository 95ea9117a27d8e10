import { describe, expect, it } from "vitest";
import { diffPlans, ExecutionPlan, isEmptyDiff } from "../../shared/index.js";

const plan = (input: Parameters<typeof ExecutionPlan.fromInput>[0]) => ExecutionPlan.fromInput(input).toJSON();

describe("diffPlans: what a revision changes, read as a reviewer reads it", () => {
  const steps = [
      { id: "list", tool: "fs.list", params: { dir: "/a", depth: 1 } },
      { id: "copy", tool: "fs.copy", params: { to: "/b" }, dependsOn: ["list"] },
      { id: "old", tool: "echo", params: {} },
  ];
  const before = plan({ description: "copy files", steps });

  it("names added, removed and changed steps with the parts that changed, and options with both values", () => {
    const after = plan({
      description: "copy files twice",
      options: { stopOnError: false },
      steps: [
        { id: "list", tool: "fs.list", params: { depth: 1, dir: "/a" } },
        { id: "copy", tool: "fs.copy", params: { to: "/c" }, dependsOn: ["list"], description: "to c" },
        { id: "new", tool: "echo", params: { text: "hi" } },
      ],
    });
    const diff = diffPlans(before, after);
    expect(diff.description).toEqual({ from: "copy files", to: "copy files twice" });
    expect(diff.options).toEqual([{ key: "stopOnError", from: true, to: false }]);
    expect(diff.stepsAdded).toEqual(["new"]);
    expect(diff.stepsRemoved).toEqual(["old"]);
    // "list" only reorders its params' keys: no change.
    expect(diff.stepsChanged).toEqual([{ id: "copy", parts: ["params", "description"] }]);
    expect(isEmptyDiff(diff)).toBe(false);
  });

  it("finds nothing between a plan and itself", () => {
    expect(isEmptyDiff(diffPlans(before, plan({ description: "copy files", steps: steps.map((s) => ({ ...s })) })))).toBe(true);
  });
});
