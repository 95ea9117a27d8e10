import { describe, expect, it } from "vitest";
import { useTestServer } from "../../../support/planroom-test-kit.js";

const scope = useTestServer();

describe("strict command payloads over the socket", () => {
  it("refuses a submission with misspelled keys, names each with a suggestion, and stores nothing", async () => {
    await scope.start({ tools: { build: () => 1, ship: () => 2 } });
    const agent = await scope.join("agent-1");
    const plan = { description: "Deploy", options: { stopOnEror: false }, steps: [{ id: "build", tool: "build" }, { id: "ship", tool: "ship", dependOn: ["build"] }] };
    const answer = await agent.cmd("plan:submit", { plan } as never);
    expect(answer).toEqual({
      ok: false,
      error: {
        code: "VALIDATION",
        message: 'invalid plan:submit payload: plan.options.stopOnEror: unknown key "stopOnEror" (did you mean "stopOnError"?) (and 1 more problem)',
        issues: [
          { path: ["plan", "options", "stopOnEror"], code: "unrecognized_keys", message: 'unknown key "stopOnEror" (did you mean "stopOnError"?)' },
          { path: ["plan", "steps", 1, "dependOn"], code: "unrecognized_keys", message: 'unknown key "dependOn" (did you mean "dependsOn"?)' },
        ],
      },
    });
    expect((await agent.ok("plans:list", {})).plans).toEqual([]);
  });

  it("refuses a misspelled key at the top of a command", async () => {
    await scope.start({ tools: { t: () => 1 } });
    const agent = await scope.join("agent-1");
    const answer = await agent.cmd("plan:submit", { plan: { description: "d", steps: [{ tool: "t" }] }, autoExecut: true } as never);
    expect(answer).toMatchObject({ ok: false, error: { code: "VALIDATION", issues: [{ path: ["autoExecut"], message: 'unknown key "autoExecut" (did you mean "autoExecute"?)' }] } });
  });

  it("refuses a plan with zero steps", async () => {
    await scope.start();
    const agent = await scope.join("agent-1");
    const answer = await agent.cmd("plan:submit", { plan: { description: "nothing", steps: [] } });
    expect(answer).toEqual({ ok: false, error: { code: "VALIDATION", message: "invalid plan:submit payload: plan.steps: a plan needs at least one step", issues: [{ path: ["plan", "steps"], code: "too_small", message: "a plan needs at least one step" }] } });
  });
});
