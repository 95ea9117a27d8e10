import { afterEach, describe, expect, it } from "vitest";
import { connect, PlanroomError, type PlanroomClient } from "../../client/index.js";
import { MiniServer } from "../support/mini-server.js";
import { PlanLog } from "../support/plan-log.js";

const clients: PlanroomClient[] = [];
const servers: MiniServer[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.stop();
});

async function start(): Promise<MiniServer> {
  const server = new MiniServer();
  await server.start();
  servers.push(server);
  return server;
}

function client(url: string, token = "ok", commandTimeoutMs = 5_000): PlanroomClient {
  const c = connect(url, { token, commandTimeoutMs, socketOptions: { transports: ["websocket"], reconnectionDelay: 50, reconnectionDelayMax: 200 } });
  clients.push(c);
  return c;
}

describe("PlanroomClient over a real socket", () => {
  it("commands wait for the connection and resolve with the ack result", async () => {
    const server = await start();
    const c = client(server.url);
    expect(c.connectionState).toBe("connecting");
    await expect(c.whoami()).resolves.toEqual({ id: "agent-1", name: "Agent", roles: ["agent"] });
    expect(c.connectionState).toBe("connected");
  });

  it("a refused token rejects commands with UNAUTHENTICATED", async () => {
    const server = await start();
    const c = client(server.url, "bad");
    await expect(c.whoami()).rejects.toMatchObject({ code: "UNAUTHENTICATED", message: expect.stringContaining("unknown token") });
    expect(c.connectionState).toBe("disconnected");
  });

  it("a command the server never answers rejects with TIMEOUT", async () => {
    const server = await start();
    server.silent = true;
    const c = client(server.url, "ok", 300);
    await expect(c.join("p1")).rejects.toMatchObject({ code: "TIMEOUT" });
  });

  it("after a server restart, re-joins with afterSeq, applies missed events once in order, and keeps serving tools", async () => {
    const server = await start();
    const agent = client(server.url, "agent");
    const reviewer = client(server.url, "reviewer");
    const handle = await agent.submit({ description: "Search files", steps: [{ id: "search", tool: "search_files" }] }, { tools: { search_files: (params) => ({ found: ["a.txt"], params }) } });
    const planId = handle.planId;
    const room = await reviewer.join(planId);
    const seen: number[] = [];
    room.on("*", (e) => seen.push(e.seq));
    const states: string[] = [];
    reviewer.on("connection", (s) => states.push(s));

    server.publish(planId, { type: "plan.approved", data: { by: ["reviewer-1"] } });
    await expect(room.decision()).resolves.toBe("approved");

    await server.stop();
    await expect.poll(() => reviewer.connectionState).toBe("reconnecting");
    // Events logged while the clients are away.
    server.plans.get(planId)!.append({ type: "plan.started", data: { run: 1 } });
    server.plans.get(planId)!.append({ type: "step.started", data: { stepId: "search", attempt: 1 } });
    await server.start();

    await expect.poll(() => room.state.seq, { timeout: 5_000 }).toBe(4);
    await expect.poll(() => handle.state.seq, { timeout: 5_000 }).toBe(4);
    expect(seen).toEqual([2, 3, 4]);
    expect(states).toEqual(["reconnecting", "connected"]);
    expect(server.joins.filter((j) => j.afterSeq !== undefined)).toEqual(expect.arrayContaining([{ planId, afterSeq: 2 }]));

    // The agent's new socket still serves the plan's tool.
    await expect.poll(() => agent.connectionState).toBe("connected");
    const request = { planId, stepId: "search", tool: "search_files", params: { q: "*.txt" }, attempt: 1, idempotencyKey: `${planId}:search:1`, deadline: Date.now() + 5_000, dependencies: {} };
    await expect(server.invoke("agent", request)).resolves.toEqual({ ok: true, result: { found: ["a.txt"], params: { q: "*.txt" } } });
    await expect(server.invoke("reviewer", request)).resolves.toMatchObject({ ok: false, error: { code: "UNKNOWN_TOOL" } });

    server.publish(planId, { type: "step.completed", data: { stepId: "search", attempt: 1, result: { found: ["a.txt"] }, durationMs: 3 } });
    server.publish(planId, { type: "plan.completed", data: { durationMs: 10 } });
    await expect(room.done()).resolves.toMatchObject({ status: "completed" });
    expect(seen).toEqual([2, 3, 4, 5, 6]);
  });

  it("leaving one of two handles of a plan keeps the other one live; the last one leaves the room", async () => {
    const server = await start();
    const agent = client(server.url, "agent");
    const reviewer = client(server.url, "reviewer");
    const handle = await agent.submit({ description: "Search files", steps: [{ id: "search", tool: "search_files" }] }, { tools: { search_files: () => ["a.txt"] } });
    const planId = handle.planId;
    const a = await reviewer.join(planId);
    const b = await reviewer.join(planId);
    const agentView = await agent.join(planId);
    await b.leave();
    await agentView.leave(); // the agent's PlanHandle remains: its socket stays in the room
    expect(server.leaves).toEqual([]);
    const seen: number[] = [];
    a.on("*", (e) => seen.push(e.seq));

    server.publish(planId, { type: "plan.approved", data: { by: ["reviewer-1"] } });
    server.publish(planId, { type: "plan.started", data: { run: 1 } });
    server.publish(planId, { type: "plan.completed", data: { durationMs: 10 } });
    await expect(a.decision()).resolves.toBe("approved");
    await expect(a.done()).resolves.toMatchObject({ status: "completed" });
    await expect(handle.done()).resolves.toMatchObject({ status: "completed" });
    expect(seen).toEqual([2, 3, 4]);
    await expect(b.done()).rejects.toMatchObject({ code: "INTERRUPTED" });

    await a.leave();
    await a.leave(); // a second leave sends nothing
    expect(server.leaves).toEqual([{ token: "reviewer", planId }]);
  });

  it("a re-join that times out or fails after a reconnection is retried until the handle catches up", async () => {
    const server = await start();
    const log = new PlanLog("p1");
    server.plans.set("p1", log);
    const reviewer = client(server.url, "reviewer", 300);
    const room = await reviewer.join("p1");
    const seen: number[] = [];
    room.on("*", (e) => seen.push(e.seq));
    const done = room.done();

    await server.stop();
    await expect.poll(() => reviewer.connectionState).toBe("reconnecting");
    log.runToCompletion(); // logged while the client is away
    server.joinScript.push("silent", "INTERNAL");
    await server.start();

    await expect(done).resolves.toMatchObject({ status: "completed" });
    expect(server.joinScript).toEqual([]);
    expect(seen).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(server.joins.at(-1)).toEqual({ planId: "p1", afterSeq: 1 });
  });

  it("a re-join refused for good (NOT_FOUND) closes the handle: its waits reject with that code", async () => {
    const server = await start();
    server.plans.set("p1", new PlanLog("p1"));
    const reviewer = client(server.url, "reviewer", 300);
    const room = await reviewer.join("p1");
    const done = room.done();
    const decision = room.decision();

    await server.stop();
    await expect.poll(() => reviewer.connectionState).toBe("reconnecting");
    server.plans.delete("p1");
    await server.start();

    await expect(done).rejects.toMatchObject({ name: "PlanroomError", code: "NOT_FOUND" });
    await expect(decision).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(room.done()).rejects.toBeInstanceOf(PlanroomError);
    const joins = server.joins.length;
    // Its client no longer re-joins it.
    await server.stop();
    await server.start();
    await expect.poll(() => reviewer.connectionState).toBe("connected");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.joins.length).toBe(joins);
  });
});
