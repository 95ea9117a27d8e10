import { describe, expect, it } from "vitest";
import { capitalised, PLAN_STATUS_WORDS, PlanStatusSchema, STEP_STATUS_WORDS, StepStatusSchema } from "../../shared/index.js";

describe("status words", () => {
  it("name every plan and step status in lower case, without underscores", () => {
    expect(Object.keys(PLAN_STATUS_WORDS).sort()).toEqual([...PlanStatusSchema.options].sort());
    expect(Object.keys(STEP_STATUS_WORDS).sort()).toEqual([...StepStatusSchema.options].sort());
    for (const word of [...Object.values(PLAN_STATUS_WORDS), ...Object.values(STEP_STATUS_WORDS)]) expect(word).toMatch(/^[a-z][a-z ]*$/);
    expect(PLAN_STATUS_WORDS.pending_approval).toBe("pending approval");
    expect(PLAN_STATUS_WORDS.executing).toBe("running");
    expect(STEP_STATUS_WORDS.completed).toBe("done");
  });

  it("capitalise for labels", () => {
    expect(capitalised(PLAN_STATUS_WORDS.pending_approval)).toBe("Pending approval");
    expect(capitalised("")).toBe("");
  });
});
