import { afterEach, describe, expect, it } from "vitest";
import { connect, type PlanroomClient } from "../../client/index.js";
import { startRealServer, TOKENS } from "./real-server.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function client(url: string, token: string): PlanroomClient {
  const c = connect(url, { token });
  cleanups.push(() => c.close());
  return c;
}

describe("resuming a plan whose steps run on the agent", () => {
  it("calls the agent's tool again with a new idempotency key, and the resumed run completes", async () => {
    const { server, cleanup } = await startRealServer();
    cleanups.push(cleanup);
    const agent = client(server.url, TOKENS.agent);
    const reviewer = client(server.url, TOKENS.reviewer1);

    const keys: string[] = [];
    let healthy = false;
    const handle = await agent.submit(
      { description: "Deploy once the service is healthy", steps: [{ id: "deploy", tool: "deploy" }] },
      {
        autoExecute: true,
        tools: {
          deploy: (_params, ctx) => {
            keys.push(ctx.idempotencyKey);
            if (!healthy) throw Object.assign(new Error("service unhealthy"), { code: "UNHEALTHY" });
            return { deployed: true };
          },
        },
      },
    );
    const room = await reviewer.join(handle.planId);
    await room.approve();
    const failed = await handle.done();
    expect(failed.status).toBe("failed");
    expect(failed.steps[0]?.error).toEqual({ code: "UNHEALTHY", message: "service unhealthy" });

    healthy = true;
    await handle.resume();
    await expect.poll(() => room.plan.status).toBe("pending_approval");
    await room.approve();
    const final = await handle.done();

    expect(final.status).toBe("completed");
    expect(final.steps[0]).toMatchObject({ status: "completed", result: { deployed: true }, attempts: 2, priorAttempts: 1 });
    expect(keys).toEqual([`${handle.planId}:deploy:1`, `${handle.planId}:deploy:2`]);
  });
});
