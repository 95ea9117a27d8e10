import { describe, expect, it } from "vitest";
import { labelBudget } from "../../client/web/dag-view.js";
import { DEFAULT_DAG_GEOMETRY } from "../../client/web/dag-layout.js";

const width = DEFAULT_DAG_GEOMETRY.nodeWidth;
/** Widths the budget is built on: 13px and 11px monospace at 0.61em, a gap between, insets of 16 and 10. */
const used = (idChars: number, toolChars: number) => idChars * 13 * 0.61 + (toolChars > 0 ? 8 + toolChars * 11 * 0.61 : 0);

describe("the first line of a DAG node", () => {
  it("shows a short id and tool whole", () => {
    expect(labelBudget("build", "run_build", width)).toEqual({ idChars: 5, toolChars: 9 });
  });

  it("clips a long id to the room the tool leaves, never overprinting it", () => {
    const id = "step_with_a_rather_long_identifier_1";
    const { idChars, toolChars } = labelBudget(id, "echo", width);
    expect(toolChars).toBe(4);
    expect(idChars).toBeGreaterThanOrEqual(14);
    expect(idChars).toBeLessThan(id.length);
    expect(used(idChars, toolChars)).toBeLessThanOrEqual(width - 26);
  });

  it("gives a long tool what a short id leaves, and keeps a third of the line for it beside a long id", () => {
    const short = labelBudget("id", "another_rather_long_tool_name_here", width);
    expect(short.idChars).toBe(2);
    expect(short.toolChars).toBeGreaterThan(15);
    expect(used(short.idChars, short.toolChars)).toBeLessThanOrEqual(width - 26);
    const both = labelBudget("step_with_a_rather_long_identifier_2", "a_tool_with_a_long_name_too", width);
    expect(both.toolChars).toBeGreaterThanOrEqual(7);
    expect(both.idChars).toBeGreaterThan(both.toolChars);
    expect(used(both.idChars, both.toolChars)).toBeLessThanOrEqual(width - 26);
  });
});
