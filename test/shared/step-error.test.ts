import { describe, expect, it } from "vitest";
import { PlanroomError, toStepError } from "../../shared/index.js";

describe("toStepError: what a tool threw, as a step error (server tools and agents' tools alike)", () => {
  it("keeps codes it can trust and bounds what it stores", () => {
    expect(toStepError(new PlanroomError("TIMEOUT", "slow"))).toEqual({ code: "TIMEOUT", message: "slow" });
    expect(toStepError(Object.assign(new Error("gone"), { code: "ECONNRESET" }))).toEqual({ code: "ECONNRESET", message: "gone" });
    expect(toStepError(Object.assign(new Error("odd"), { code: 42 }))).toEqual({ code: "TOOL_ERROR", message: "odd" });
    expect(toStepError({ why: "object" })).toEqual({ code: "TOOL_ERROR", message: 'tool threw {"why":"object"}' });
    expect(toStepError(undefined)).toEqual({ code: "TOOL_ERROR", message: "undefined" });
    expect(toStepError(new Error("x".repeat(20_000))).message).toHaveLength(10_000);
    expect(toStepError(Object.assign(new Error("long"), { code: "C".repeat(100) })).code).toHaveLength(64);
  });

  it("keeps a tool's own code carried by a PlanroomError", () => {
    const relayed = new PlanroomError("TOOL_ERROR", "disk full", { toolCode: "ENOSPC" });
    expect(toStepError(relayed)).toEqual({ code: "ENOSPC", message: "disk full" });
  });
});
