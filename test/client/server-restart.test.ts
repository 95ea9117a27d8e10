import { rm } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { connect, type PlanroomClient } from "../../client/index.js";
import type { PlanroomServer } from "../../server/index.js";
import { startRealServer } from "../support/real-server.js";
import { realServerPrincipal, TOKENS } from "../support/test-principals.js";

const clients: PlanroomClient[] = [];
let running: PlanroomServer | undefined;
let dataDir: string | undefined;
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await running?.close().catch(() => undefined);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  running = undefined;
  dataDir = undefined;
});

function client(url: string, token: string): PlanroomClient {
  const c = connect(url, { token, commandTimeoutMs: 15_000, socketOptions: { reconnectionDelay: 50, reconnectionDelayMax: 250 } });
  clients.push(c);
  return c;
}

describe("reconnection across a real server restart", { timeout: 60_000 }, () => {
  it("an agent and two reviewers stay connected through a restart; missed events arrive once, in order; tools keep being served", async () => {
    const first = await startRealServer();
    running = first.server;
    dataDir = first.dataDir;
    const url = first.server.url;
    const agent = client(url, TOKENS.agent);
    const r1 = client(url, TOKENS.reviewer1);
    const r2 = client(url, TOKENS.reviewer2);

    const calls: string[] = [];
    const handle = await agent.submit(
      { description: "Fetch and summarise", steps: [{ id: "fetch", tool: "fetch" }, { id: "sum", tool: "summarise", dependsOn: ["fetch"] }] },
      {
        approval: { quorum: 2 },
        autoExecute: true,
        tools: {
          fetch: (_p, ctx) => (calls.push(ctx.idempotencyKey), { items: 3 }),
          summarise: (_p, ctx) => (calls.push(ctx.idempotencyKey), { summary: `${JSON.stringify(ctx.dependencies.fetch)}` }),
        },
      },
    );
    const room1 = await r1.join(handle.planId);
    const room2 = await r2.join(handle.planId);
    const seqs: number[] = [];
    room2.on("*", (e) => seqs.push(e.seq));
    await room1.approve("first approval, before the restart");
    await expect.poll(() => room2.votes.length).toBe(1);

    // Restart the server on the same port and data directory.
    await first.server.close();
    await expect.poll(() => agent.connectionState).not.toBe("connected");
    const second = await startRealServer({ dataDir, port: first.server.port });
    running = second.server;

    // A command issued right after the restart waits for the connection; the second vote decides.
    await room2.approve("second approval, after the restart");
    const [done1, done2, doneAgent] = await Promise.all([room1.done(), room2.done(), handle.done()]);
    for (const final of [done1, done2, doneAgent]) expect(final.status).toBe("completed");
    expect(doneAgent.steps.map((s) => s.result)).toEqual([{ items: 3 }, { summary: '{"items":3}' }]);
    expect(calls).toEqual([`${handle.planId}:fetch:1`, `${handle.planId}:sum:1`]);
    // Every event seen once and in order, without gaps.
    expect(seqs.length).toBeGreaterThan(5);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    expect(seqs.at(-1)).toBe(room2.state.seq);
    expect(room1.state.seq).toBe(room2.state.seq);
    expect(room1.state.seq).toBe(handle.state.seq);
    expect(agent.connectionState).toBe("connected");
  });
});

describe("a token revoked across a restart", { timeout: 30_000 }, () => {
  it("ends the reviewer's room handles with UNAUTHENTICATED instead of leaving their waits hanging", async () => {
    const first = await startRealServer();
    running = first.server;
    dataDir = first.dataDir;
    const agent = client(first.server.url, TOKENS.agent);
    const reviewer = client(first.server.url, TOKENS.reviewer1);
    const handle = await agent.submit({ description: "Wait for review", steps: [{ id: "a", tool: "echo", params: { message: "hi" } }] });
    const room = await reviewer.join(handle.planId);
    const waiting = room.done();

    await first.server.close();
    // The second start no longer knows reviewer-1's token.
    const second = await startRealServer({
      dataDir,
      port: first.server.port,
      principals: [realServerPrincipal("agent-1"), realServerPrincipal("reviewer-2")],
    });
    running = second.server;

    await expect(waiting).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    expect(reviewer.connectionState).toBe("disconnected");
  });
});
