import { readFile } from "node:fs/promises";
import { get } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type Cluster } from "../support/cluster.js";
import { chainPlan } from "../support/planroom-test-kit.js";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "../support/postgres-database.js";
import { tokenOf } from "../support/test-principals.js";

const hasPostgres = await postgresAvailable("cluster tests");

/** `GET /healthz` on a connection of its own (the proxy balances connections, not requests). */
function healthz(url: string): Promise<{ ok: boolean; node: string; plans?: number }> {
  return new Promise((resolve, reject) => {
    get(`${url}/healthz`, { agent: false }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve(JSON.parse(body) as { ok: boolean; node: string; plans?: number }));
    }).on("error", reject);
  });
}

describe.skipIf(!hasPostgres)("a cluster of three nodes on one database", () => {
  let database: TestDatabase;
  let cluster: Cluster;

  beforeAll(async () => {
    database = await createTestDatabase();
    cluster = await startCluster({ size: 3, store: database.url });
  }, 90_000);
  afterAll(async () => {
    await cluster?.close();
    await database?.drop();
  });

  it("gives each node its own id, and the proxy hands connections to each in turn", async () => {
    const ids = [0, 1, 2].map((i) => cluster.node(i).nodeId);
    expect(new Set(ids).size).toBe(3);
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) seen.add((await healthz(cluster.url)).node);
    expect([...seen].sort()).toEqual([...ids].sort());
  });

  it("serves a plan submitted through one node through the others: GET /api/plans/:id and plan:join", { timeout: 30_000 }, async () => {
    const agent = await cluster.connect("agent-1", { node: 0 });
    const plan = await agent.client.submit(chainPlan(["remote-tool"], "seen by every node"), { tools: { "remote-tool": () => 1 }, approval: { reviewers: ["rev-1"] }, autoExecute: false });
    for (const index of [1, 2]) {
      const res = await fetch(`${cluster.node(index).url}/api/plans/${plan.planId}`, { headers: { authorization: `Bearer ${tokenOf("rev-1")}` } });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ plan: { description: "seen by every node", status: "pending_approval" }, submittedBy: { id: "agent-1" }, seq: 1 });
      const reviewer = await cluster.connect("rev-1", { node: index });
      const room = await reviewer.client.join(plan.planId);
      expect(room.plan.description).toBe("seen by every node");
      expect(room.state.seq).toBe(1);
      reviewer.close();
    }
    // a reviewer on the agent's node records the raw events its connection received
    const voter = await cluster.connect("rev-1", { node: 0 });
    const room = await voter.client.join(plan.planId);
    await voter.client.command("plan:vote", { planId: plan.planId, version: 1, decision: "approve" });
    await room.decision();
    // (no auto-execution: nothing follows the approval)
    await expect.poll(() => voter.connections.flat().map((e) => `${e.seq} ${e.type}`)).toEqual(["2 vote.cast", "3 plan.approved"]);
    expect(voter.connections).toHaveLength(1);
    // a client through the proxy, wherever it lands, finds it too
    const observer = await cluster.connect("obs");
    expect((await observer.client.join(plan.planId)).plan.description).toBe("seen by every node");
  });

  it("stops and continues a node", { timeout: 30_000 }, async () => {
    const { pid } = cluster.node(2).server.child;
    const state = async (): Promise<string> => (await readFile(`/proc/${pid}/stat`, "utf8")).replace(/^.*\) /s, "")[0]!;
    cluster.stop(2);
    await expect.poll(state).toBe("T");
    cluster.cont(2);
    await expect.poll(state).not.toBe("T");
    expect(await healthz(cluster.node(2).url)).toMatchObject({ ok: true, node: cluster.node(2).nodeId });
  });

  it("skips a killed node, and serves through a restarted one with a new id", { timeout: 60_000 }, async () => {
    const killed = cluster.node(1).nodeId;
    await cluster.kill(1);
    const nodes = new Set<string>();
    for (let i = 0; i < 4; i++) nodes.add((await healthz(cluster.url)).node);
    expect(nodes.has(killed)).toBe(false);
    expect(nodes.size).toBe(2);
    const restarted = await cluster.restart(1);
    expect(restarted.nodeId).not.toBe(killed);
    expect(await healthz(restarted.url)).toMatchObject({ ok: true, node: restarted.nodeId, plans: 1 });
  });
});
