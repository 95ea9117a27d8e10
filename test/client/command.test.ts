import { describe, expect, it } from "vitest";
import { checkCommandInput, unwrapAck } from "../../client/command.js";
import { PlanroomError } from "../../client/index.js";

describe("commands", () => {
  it("an ok ack resolves to the result without `ok`", () => {
    expect(unwrapAck("plan:execute", { ok: true, seq: 4 })).toEqual({ seq: 4 });
  });

  it("an error ack becomes a PlanroomError with the server's code and issues", () => {
    const issues = [{ path: ["plan", "steps", 0, "tool"], message: "tool name is empty" }];
    try {
      unwrapAck("plan:submit", { ok: false, error: { code: "VALIDATION", message: "invalid plan", issues } });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PlanroomError);
      expect(error).toMatchObject({ code: "VALIDATION", message: "invalid plan", issues });
    }
    expect(() => unwrapAck("plan:execute", { ok: false, error: { code: "WEIRD", message: "?" } })).toThrow(expect.objectContaining({ code: "INTERNAL" }));
    expect(() => unwrapAck("plan:execute", "nonsense")).toThrow(expect.objectContaining({ code: "INTERNAL" }));
  });

  it("payloads are checked against the shared schema before sending, with paths", () => {
    expect(() => checkCommandInput("plan:vote", { planId: "p1", version: 1, decision: "approve" })).not.toThrow();
    try {
      checkCommandInput("plan:submit", { plan: { description: "x", steps: [{ tool: "" }] } });
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: "VALIDATION" });
      expect((error as PlanroomError).issues?.[0]?.path).toEqual(["plan", "steps", 0, "tool"]);
    }
  });
});
