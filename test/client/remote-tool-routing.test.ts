import { describe, expect, it } from "vitest";
import { connect } from "../../client/index.js";
import { useRealServers } from "../support/real-server.js";
import { TOKENS } from "../support/test-principals.js";

const { server: realServer, client } = useRealServers();

describe("which connection serves a plan's tools", () => {
  it("keeps them on the agent when another process with its token joins the plan and exits", async () => {
    const server = await realServer({ agentGraceMs: 1_000 });
    const agent = client(server.url, TOKENS.agent);
    const reviewer = client(server.url, TOKENS.reviewer1);
    let calls = 0;
    const handle = await agent.submit({ description: "Run mine", steps: [{ id: "a", tool: "mine" }] }, { autoExecute: true, tools: { mine: () => (calls++, { ran: true }) } });

    // A command line with the agent's token (e.g. `planroom show ID`): joins, reads, exits.
    const cli = connect(server.url, { token: TOKENS.agent });
    await cli.join(handle.planId);
    cli.close();
    const agentSockets = () => [...server.io.of("/").sockets.values()].filter((s) => s.data.principal.id === "agent-1").length;
    await expect.poll(agentSockets).toBe(1);

    await (await reviewer.join(handle.planId)).approve();
    const final = await handle.done();
    expect(final.status).toBe("completed");
    expect(final.steps[0]?.result).toEqual({ ran: true });
    expect(calls).toBe(1);
  });

  it("calls each plan's tools on the process that submitted it, when two processes share a token", async () => {
    const server = await realServer({ agentGraceMs: 1_000 });
    const first = client(server.url, TOKENS.agent);
    const second = client(server.url, TOKENS.agent);
    const reviewer = client(server.url, TOKENS.reviewer1);
    const a = await first.submit({ description: "A", steps: [{ id: "a", tool: "toolA" }] }, { autoExecute: true, tools: { toolA: () => "A ran" } });
    const b = await second.submit({ description: "B", steps: [{ id: "b", tool: "toolB" }] }, { autoExecute: true, tools: { toolB: () => "B ran" } });

    await (await reviewer.join(a.planId)).approve();
    await (await reviewer.join(b.planId)).approve();
    const [doneA, doneB] = await Promise.all([a.done(), b.done()]);
    expect([doneA.status, doneA.steps[0]?.result]).toEqual(["completed", "A ran"]);
    expect([doneB.status, doneB.steps[0]?.result]).toEqual(["completed", "B ran"]);
  });

  it("sends a call again on the agent's new connection when its transport drops mid-call; the tool runs once", async () => {
    const server = await realServer();
    const agent = client(server.url, TOKENS.agent);
    const reviewer = client(server.url, TOKENS.reviewer1);
    const runs: string[] = [];
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const handle = await agent.submit(
      { description: "Slow work", steps: [{ id: "slow", tool: "slow" }] },
      {
        autoExecute: true,
        tools: {
          slow: async (_params, ctx) => {
            runs.push(ctx.idempotencyKey);
            started();
            await new Promise((resolve) => setTimeout(resolve, 400));
            return { aborted: ctx.signal.aborted };
          },
        },
      },
    );
    const states: string[] = [];
    agent.on("connection", (state) => states.push(state));
    await (await reviewer.join(handle.planId)).approve();
    await running;
    for (const socket of server.io.of("/").sockets.values()) if (socket.data.principal.id === "agent-1") socket.conn.close();

    const final = await handle.done();
    expect(states).toContain("reconnecting");
    expect(final.status).toBe("completed");
    expect(final.steps[0]).toMatchObject({ status: "completed", attempts: 1, result: { aborted: false } });
    expect(runs).toEqual([`${handle.planId}:slow:1`]);
  });
});
