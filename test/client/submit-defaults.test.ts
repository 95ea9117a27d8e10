import { describe, expect, it } from "vitest";
import { useRealServers } from "../support/real-server.js";
import { TOKENS } from "../support/test-principals.js";

const real = useRealServers();
const PLAN = { description: "Greet the team", steps: [{ id: "greet", tool: "echo", params: { message: "hello" } }] };

describe("submit's defaults and done()", { timeout: 30_000 }, () => {
  it("starts a plan on approval unless autoExecute is false, so done() ends without an execute()", async () => {
    const server = await real.server();
    const agent = real.client(server.url, TOKENS.agent);
    const reviewer = real.client(server.url, TOKENS.reviewer1);
    const plan = await agent.submit(PLAN);
    expect(plan.state.autoExecute).toBe(true);
    await (await reviewer.join(plan.planId)).approve();
    const final = await plan.done();
    expect(final.status).toBe("completed");
    expect(final.steps[0]?.result).toEqual({ message: "hello" });

    const manual = await agent.submit(PLAN, { autoExecute: false });
    expect(manual.state.autoExecute).toBe(false);
    await (await reviewer.join(manual.planId)).approve();
    await expect(manual.decision()).resolves.toBe("approved");
    expect(manual.plan.status).toBe("approved");
  });

  it("done() of a rejected plan resolves with the final plan, whose decision holds who rejected it and why", async () => {
    const server = await real.server();
    const agent = real.client(server.url, TOKENS.agent);
    const plan = await agent.submit(PLAN);
    await (await real.client(server.url, TOKENS.reviewer1).join(plan.planId)).reject("greets the wrong team");
    const final = await plan.done();
    expect(final.status).toBe("rejected");
    expect(final.decision).toMatchObject({ outcome: "rejected", by: ["reviewer-1"], reason: "greets the wrong team" });
  });
});
