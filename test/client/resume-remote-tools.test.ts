import { describe, expect, it } from "vitest";
import { useRealServers } from "../support/real-server.js";
import { TOKENS } from "../support/test-principals.js";

const { server: realServer, client } = useRealServers();

describe("resuming a plan whose steps run on the agent", () => {
  it("calls the agent's tool again with a new idempotency key, and the resumed run completes", async () => {
    const server = await realServer();
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

  it("runs a step revised after a resume with a new idempotency key and its new params", async () => {
    const server = await realServer();
    const agent = client(server.url, TOKENS.agent);
    const reviewer = client(server.url, TOKENS.reviewer1);

    const calls: string[] = [];
    let healthy = false;
    const handle = await agent.submit(
      { description: "Deploy a version", steps: [{ id: "deploy", tool: "deploy", params: { version: 1 } }] },
      {
        autoExecute: true,
        tools: {
          deploy: (params, ctx) => {
            calls.push(`${ctx.idempotencyKey} ${JSON.stringify(params)}`);
            if (!healthy) throw Object.assign(new Error("service unhealthy"), { code: "UNHEALTHY" });
            return { deployed: params.version };
          },
        },
      },
    );
    const room = await reviewer.join(handle.planId);
    await room.approve();
    expect((await handle.done()).status).toBe("failed");

    healthy = true;
    await handle.resume();
    await expect.poll(() => handle.plan.status).toBe("pending_approval");
    await handle.revise({ steps: [{ id: "deploy", tool: "deploy", params: { version: 2 } }] });
    await expect.poll(() => room.plan.version).toBe(2);
    expect(room.plan.steps[0]).toMatchObject({ status: "pending", attempts: 1, priorAttempts: 1 });
    await room.approve();
    const final = await handle.done();

    expect(final.status).toBe("completed");
    expect(final.steps[0]).toMatchObject({ status: "completed", result: { deployed: 2 }, attempts: 2, priorAttempts: 1 });
    expect(calls).toEqual([`${handle.planId}:deploy:1 {"version":1}`, `${handle.planId}:deploy:2 {"version":2}`]);
  });

  it("keeps a completed step whose work and dependencies did not change in a revision, and runs again what changed", async () => {
    const server = await realServer();
    const agent = client(server.url, TOKENS.agent);
    const reviewer = client(server.url, TOKENS.reviewer1);

    const calls: string[] = [];
    let healthy = false;
    const work = (params: Record<string, unknown>, ctx: { idempotencyKey: string; dependencies: Record<string, unknown> }) => {
      calls.push(ctx.idempotencyKey);
      if (params.fail === true && !healthy) throw Object.assign(new Error("not yet"), { code: "NOT_YET" });
      return { params, deps: ctx.dependencies };
    };
    const steps = [
      { id: "fetch", tool: "work", params: { source: "a" } },
      { id: "build", tool: "work", params: { fail: true }, dependsOn: ["fetch"] },
      { id: "lint", tool: "work", params: { strict: false } },
      { id: "report", tool: "work", params: { to: "ops" }, dependsOn: ["lint"] },
      { id: "notes", tool: "work", params: { a: 1, b: 2 } },
    ];
    const handle = await agent.submit({ description: "Fetch, build, lint, report", options: { stopOnError: false }, steps }, { autoExecute: true, tools: { work } });
    const room = await reviewer.join(handle.planId);
    await room.approve();
    const first = await handle.done();
    expect(first.steps.map((s) => [s.id, s.status])).toEqual([["fetch", "completed"], ["build", "failed"], ["lint", "completed"], ["report", "completed"], ["notes", "completed"]]);
    const fetched = first.steps[0];

    healthy = true;
    calls.length = 0;
    await handle.resume();
    await expect.poll(() => handle.plan.status).toBe("pending_approval");
    // lint's params change (so report, which depends on it, runs again too); notes only changes
    // its description and the order of its params' keys; fetch and build are as they were.
    const changes: unknown[] = [];
    room.on("plan.revised", (event) => changes.push(event.data.changes));
    await handle.revise({
      steps: [
        steps[0]!,
        steps[1]!,
        { id: "lint", tool: "work", params: { strict: true } },
        steps[3]!,
        { id: "notes", tool: "work", description: "release notes", params: { b: 2, a: 1 } },
      ],
    });
    await expect.poll(() => room.plan.version).toBe(2);
    expect(changes[0]).toMatchObject({ stepsChanged: ["lint", "notes"], stepsAdded: [], stepsRemoved: [] });
    expect(room.plan.steps.map((s) => [s.id, s.status, s.attempts])).toEqual([["fetch", "completed", 1], ["build", "pending", 1], ["lint", "pending", 1], ["report", "pending", 1], ["notes", "completed", 1]]);
    await room.approve();
    const final = await handle.done();

    expect(final.status).toBe("completed");
    expect(final.steps[0]).toEqual(fetched);
    expect(final.steps[4]).toMatchObject({ status: "completed", attempts: 1, description: "release notes", result: { params: { a: 1, b: 2 }, deps: {} } });
    expect(final.steps[1]).toMatchObject({ status: "completed", attempts: 2, result: { deps: { fetch: fetched?.result } } });
    expect(final.steps[2]).toMatchObject({ status: "completed", attempts: 2, result: { params: { strict: true } } });
    expect(calls.sort()).toEqual([`${handle.planId}:build:2`, `${handle.planId}:lint:2`, `${handle.planId}:report:2`]);
  });
});
