import { describe, expect, it } from "vitest";
import { z } from "zod";
import { COMMAND_NAMES, COMMANDS, EVENT_DATA, PLAN_EVENT_TYPES, PlanEventSchema, PresenceDeltaSchema, ToolInvokeSchema, ToolResultSchema } from "../../shared/index.js";

/** Exports `schema` both ways (as a client writes it and as the server answers it). */
function exportBoth(schema: z.ZodType): { input: Record<string, unknown>; output: Record<string, unknown> } {
  return { input: z.toJSONSchema(schema, { io: "input" }), output: z.toJSONSchema(schema, { io: "output" }) };
}

describe("JSON Schema export of the wire contract", () => {
  it.each(COMMAND_NAMES)("exports %s's payload and result", (name) => {
    const payload = exportBoth(COMMANDS[name].input);
    expect(payload.input.type).toBe("object");
    // Strict payloads say so in the schema too.
    expect(payload.input.additionalProperties).toBe(false);
    expect(exportBoth(COMMANDS[name].output).output.type).toBe("object");
  });

  it.each(PLAN_EVENT_TYPES)("exports the data of %s", (type) => {
    expect(exportBoth(EVENT_DATA[type]).output.type).toBe("object");
  });

  it("exports the event union with one variant per event type", () => {
    const schema = z.toJSONSchema(PlanEventSchema);
    const variants = (schema.oneOf ?? schema.anyOf ?? []) as { properties: { type: { const: string } } }[];
    expect(variants.map((variant) => variant.properties.type.const).sort()).toEqual([...PLAN_EVENT_TYPES].sort());
  });

  it("exports the server's own messages: presence deltas, tool calls and their answers", () => {
    for (const schema of [PresenceDeltaSchema, ToolInvokeSchema, ToolResultSchema]) expect(Object.keys(exportBoth(schema).output).length).toBeGreaterThan(1);
  });

  it("names plan:submit's required fields and the nested step keys", () => {
    const { input } = exportBoth(COMMANDS["plan:submit"].input);
    expect(input.required).toEqual(["plan"]);
    const plan = (input.properties as Record<string, { properties: Record<string, { items?: { properties?: Record<string, unknown> } }> }>).plan;
    expect(Object.keys(plan?.properties.steps?.items?.properties ?? {})).toEqual(["id", "tool", "description", "params", "dependsOn", "retry"]);
  });
});
