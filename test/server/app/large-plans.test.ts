import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../server/app/config.js";
import { planMessageBytes } from "../../../server/app/message-size-limit.js";
import { createPlanroomServer } from "../../../server/app/create-server.js";
import { useRealServers } from "../../support/real-server.js";
import { TOKENS } from "../../support/test-principals.js";

const real = useRealServers();

/** A plan of `n` echo steps in chains of ten, each with a sentence of description and small params. */
function bigPlan(n: number, description = (i: number) => `Echo item ${i} of the batch`) {
  return {
    description: `A plan of ${n} steps`,
    options: { maxParallelSteps: 64, stepTimeoutMs: 60_000 },
    steps: Array.from({ length: n }, (_, i) => ({ id: `step-${i}`, tool: "echo", description: description(i), params: { message: `item ${i} of the batch`, attempt: 1 }, ...(i % 10 === 0 ? {} : { dependsOn: [`step-${i - 1}`] }) })),
  };
}

describe("the message size limit agrees with the step limit", () => {
  it("defaults to what a plan at the limits needs, keeps a value given, and never goes below 256 KiB", () => {
    expect(parseConfig({}).maxHttpBufferSize).toBe(planMessageBytes({ maxSteps: 10_000, maxParamsBytes: 1_000_000 }));
    expect(parseConfig({ limits: { maxSteps: 20_000 } }).maxHttpBufferSize).toBe(20_000 * 320 + 1_000_000 + 64 * 1024);
    expect(parseConfig({ limits: { maxSteps: 10, maxParamsBytes: 10_000 } }).maxHttpBufferSize).toBe(256 * 1024);
    expect(parseConfig({ maxHttpBufferSize: 100_000 }).maxHttpBufferSize).toBe(100_000);
  });

  it("warns at start when a configured message size cannot carry a plan at the step limit", async () => {
    const warnings: string[] = [];
    const server = await createPlanroomServer({ port: 0, host: "127.0.0.1", maxHttpBufferSize: 64 * 1024, principals: [], log: { info: () => undefined, warn: (m) => void warnings.push(m), error: () => undefined }, store: (await import("../../../server/store/memory-store.js")).createMemoryStore() });
    await server.close();
    expect(warnings.some((w) => w.startsWith("maxHttpBufferSize (65536 bytes) is smaller than a plan at the limits needs"))).toBe(true);
  });

  it("a 10,000-step plan is submitted, approved and run to the end with the default settings", { timeout: 120_000 }, async () => {
    const server = await real.server();
    const agent = real.client(server.url, TOKENS.agent);
    const plan = await agent.submit(bigPlan(10_000), { approval: { quorum: 1 } });
    expect(plan.plan.steps).toHaveLength(10_000);
    const reviewer = real.client(server.url, TOKENS.reviewer1);
    await (await reviewer.join(plan.planId)).approve();
    const done = await plan.done();
    expect(done.status).toBe("completed");
    expect(plan.summary()).toMatchObject({ total: 10_000, finished: 10_000, progress: 100, counts: { completed: 10_000 } });
  });

  it("the SDK refuses, before sending, a message the server would drop; the connection stays up", async () => {
    const server = await real.server({ maxHttpBufferSize: 64 * 1024 });
    const agent = real.client(server.url, TOKENS.agent);
    await agent.whoami();
    const refused = await agent.submit(bigPlan(1_000, (i) => `A long description of step ${i} `.repeat(3)), { approval: { quorum: 1 } }).then(
      () => undefined,
      (e: Error & { code?: string }) => e,
    );
    expect(refused?.code).toBe("VALIDATION");
    expect(refused?.message).toMatch(/^plan:submit: message too large \(\d+ bytes, limit 65536\)/);
    expect(agent.connectionState).toBe("connected");
    expect((await agent.whoami()).id).toBe("agent-1");
  });
});
