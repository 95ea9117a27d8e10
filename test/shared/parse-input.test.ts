import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ApprovalPolicySchema, COMMAND_NAMES, COMMANDS, ExecutionPlan, nearestKey, parseInput, PlanInputSchema, PlanroomError } from "../../shared/index.js";

/** The plan from the field report: four misspelled keys that used to be dropped without a word. */
const MISSPELLED = {
  description: "Deploy",
  options: { stopOnEror: false, stepTimout: 5_000 },
  steps: [
    { id: "build", tool: "build", param: { target: "prod" } },
    { id: "ship", tool: "ship", dependOn: ["build"] },
  ],
};

describe("parseInput", () => {
  it("refuses each unknown key at its own path, with the nearest known key", () => {
    const parsed = parseInput(PlanInputSchema, MISSPELLED);
    expect(parsed.success).toBe(false);
    if (parsed.success) return;
    expect(parsed.issues).toEqual(
      expect.arrayContaining([
        { path: ["options", "stopOnEror"], code: "unrecognized_keys", message: 'unknown key "stopOnEror" (did you mean "stopOnError"?)' },
        { path: ["options", "stepTimout"], code: "unrecognized_keys", message: 'unknown key "stepTimout" (did you mean "stepTimeoutMs"?)' },
        { path: ["steps", 0, "param"], code: "unrecognized_keys", message: 'unknown key "param" (did you mean "params"?)' },
        { path: ["steps", 1, "dependOn"], code: "unrecognized_keys", message: 'unknown key "dependOn" (did you mean "dependsOn"?)' },
      ]),
    );
    expect(parsed.issues).toHaveLength(4);
  });

  it("reports a failed union through the branch that got furthest, not as a bare \"Invalid input\"", () => {
    const schema = COMMANDS["plans:list"].input;
    const inList = parseInput(schema, { status: ["approved", "bogus"] });
    const alone = parseInput(schema, { status: "bogus" });
    const wrongType = parseInput(schema, { status: 5 });
    for (const parsed of [inList, alone, wrongType]) {
      expect(parsed.success).toBe(false);
      if (parsed.success) continue;
      expect(parsed.issues).toHaveLength(1);
      expect(parsed.issues[0]?.code).toBe("invalid_value");
      expect(parsed.issues[0]?.message).toMatch(/expected one of .*"pending_approval"/);
    }
    expect(!inList.success && inList.issues[0]?.path).toEqual(["status", 1]);
    expect(!alone.success && alone.issues[0]?.path).toEqual(["status"]);
  });

  it("keeps the did-you-mean of an unknown key inside a union's branch", () => {
    const schema = z.union([z.strictObject({ kind: z.literal("box"), size: z.number() }), z.array(z.number())]);
    const parsed = parseInput(schema, { kind: "box", size: 1, sise: 2 });
    expect(!parsed.success && parsed.issues).toEqual([{ path: ["sise"], code: "unrecognized_keys", message: 'unknown key "sise" (did you mean "size"?)' }]);
  });

  it("suggests nothing for a key that is like no known one", () => {
    const parsed = parseInput(ApprovalPolicySchema, { quorum: 1, flavour: "vanilla" });
    expect(parsed).toEqual({ success: false, issues: [{ path: ["flavour"], code: "unrecognized_keys", message: 'unknown key "flavour"' }] });
  });

  it("suggests across letter case, and only near keys", () => {
    expect(nearestKey("DependsOn", ["dependsOn", "tool"])).toBe("dependsOn");
    expect(nearestKey("retyr", ["retry", "params"])).toBe("retry");
    expect(nearestKey("zzzzzz", ["retry", "params"])).toBeUndefined();
  });

  it("passes valid input through with its defaults", () => {
    const parsed = parseInput(PlanInputSchema, { description: "ok", steps: [{ tool: "t" }] });
    expect(parsed).toMatchObject({ success: true, data: { options: { stopOnError: true }, steps: [{ tool: "t", dependsOn: [], params: {} }] } });
  });
});

describe("strict input schemas", () => {
  it("refuses a plan without steps", () => {
    expect(() => ExecutionPlan.fromInput({ description: "nothing to do", steps: [] })).toThrow(expect.objectContaining({ code: "VALIDATION", message: "invalid plan: steps: a plan needs at least one step" }));
  });

  it("names every misspelled key when a plan is built from input", () => {
    let error: unknown;
    try {
      ExecutionPlan.fromInput(MISSPELLED);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PlanroomError);
    expect((error as PlanroomError).message).toBe('invalid plan: options.stopOnEror: unknown key "stopOnEror" (did you mean "stopOnError"?) (and 3 more problems)');
    expect((error as PlanroomError).issues?.map((i) => i.path.join("."))).toEqual(["options.stopOnEror", "options.stepTimout", "steps.0.param", "steps.1.dependOn"]);
  });

  it("refuses an unknown key in every command's payload", () => {
    for (const name of COMMAND_NAMES) {
      const parsed = parseInput(COMMANDS[name].input, { planIdd: "x" });
      expect(parsed.success, name).toBe(false);
      if (!parsed.success) expect(parsed.issues, name).toContainEqual(expect.objectContaining({ path: ["planIdd"], code: "unrecognized_keys" }));
    }
  });

  it("refuses a revision to zero steps", () => {
    const parsed = parseInput(COMMANDS["plan:revise"].input, { planId: "p", version: 1, steps: [] });
    expect(parsed).toMatchObject({ success: false, issues: [{ path: ["steps"], message: "a plan needs at least one step" }] });
  });

  it("refuses unknown keys in partial options of a revision and in a step's retry policy", () => {
    const revise = parseInput(COMMANDS["plan:revise"].input, { planId: "p", version: 1, options: { maxParalelSteps: 2 } });
    expect(revise).toMatchObject({ success: false, issues: [{ path: ["options", "maxParalelSteps"], message: 'unknown key "maxParalelSteps" (did you mean "maxParallelSteps"?)' }] });
    const retry = parseInput(PlanInputSchema, { description: "d", steps: [{ tool: "t", retry: { maxAttempt: 3 } }] });
    expect(retry).toMatchObject({ success: false, issues: [{ path: ["steps", 0, "retry", "maxAttempt"], message: 'unknown key "maxAttempt" (did you mean "maxAttempts"?)' }] });
  });
});
