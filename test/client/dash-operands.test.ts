import { describe, expect, it } from "vitest";
import { protectDashOperands } from "../../client/cli/dash-operands.js";
import { buildProgram } from "../../client/cli/cli-program.js";

const program = buildProgram({ out: () => undefined, err: () => undefined, env: {}, isTTY: false }, () => undefined);
const fix = (...args: string[]): string[] => protectDashOperands(["node", "planroom", ...args], program).slice(2);

describe("plan ids that begin with a dash", () => {
  it("are moved behind `--`, keeping options and their values", () => {
    expect(fix("reject", "-V99kWr0XzEr", "-m", "too risky")).toEqual(["reject", "-m", "too risky", "--", "-V99kWr0XzEr"]);
    expect(fix("--url", "http://x", "show", "--abc", "--json")).toEqual(["--url", "http://x", "show", "--json", "--", "--abc"]);
    expect(fix("approve", "-m", "-not-an-id", "-x1")).toEqual(["approve", "-m", "-not-an-id", "--", "-x1"]);
    expect(fix("cancel", "--message=stop", "-abc")).toEqual(["cancel", "--message=stop", "--", "-abc"]);
  });

  it("leave ordinary command lines alone", () => {
    expect(fix("reject", "abc", "-m", "no")).toEqual(["reject", "abc", "-m", "no"]);
    expect(fix("list", "--status", "executing", "--bogus")).toEqual(["list", "--status", "executing", "--bogus"]);
    expect(fix("watch", "--help")).toEqual(["watch", "--help"]);
    // the operand is there already: a mistyped option stays, for the parser to name
    expect(fix("submit", "plan.json", "--no-wait")).toEqual(["submit", "plan.json", "--no-wait"]);
    expect(fix("reject", "-V99kWr0XzEr", "--mesage", "x")).toEqual(["reject", "--mesage", "x", "--", "-V99kWr0XzEr"]);
  });

  it("parse into the right id and options", async () => {
    const seen: unknown[] = [];
    const p = buildProgram({ out: () => undefined, err: () => undefined, env: {}, isTTY: false }, () => undefined);
    p.commands.find((c) => c.name() === "reject")!.action((id: string, options: { message: string }) => void seen.push(id, options.message));
    await p.parseAsync(protectDashOperands(["node", "planroom", "reject", "-V99kWr0XzEr", "-m", "too risky"], p));
    expect(seen).toEqual(["-V99kWr0XzEr", "too risky"]);
  });
});
