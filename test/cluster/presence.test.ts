import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type Cluster } from "../support/cluster.js";
import { chainPlan } from "../support/planroom-test-kit.js";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "../support/postgres-database.js";

const hasPostgres = await postgresAvailable("cluster tests");

describe.skipIf(!hasPostgres)("presence across three nodes", () => {
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

  it("every member sees who is in the room on any node; a killed node's members are gone within a few seconds", { timeout: 60_000 }, async () => {
    const agent = await cluster.connect("agent-1", { node: 0 });
    const { planId } = await agent.client.command("plan:submit", { plan: chainPlan(["t"]), tools: ["t"], approval: { reviewers: ["reviewer"] }, autoExecute: false });
    const ids = ["rev-1", "rev-2", "rev-3", "obs", "root", "stranger"];
    const members = await Promise.all(ids.map((id, i) => cluster.connect(id, { node: i % 3 })));
    const rooms = await Promise.all(members.map((m) => m.client.join(planId)));
    const seen = (i: number) => rooms[i]!.presence.map((m) => m.id).sort();
    for (let i = 0; i < rooms.length; i++) await expect.poll(() => seen(i), { timeout: 5_000, interval: 50 }).toEqual([...ids].sort());

    // node 2 holds "rev-3" and "stranger"
    await cluster.kill(2);
    const alive = [0, 1, 3, 4];
    const remaining = ids.filter((_, i) => i % 3 !== 2).sort();
    const killedAt = Date.now();
    for (const i of alive) await expect.poll(() => seen(i), { timeout: 10_000, interval: 50 }).toEqual(remaining);
    // 5 s without a heartbeat, then one sweep (every second), then the hint
    expect(Date.now() - killedAt).toBeLessThan(8_000);

    // a member who leaves on one node is gone from the others' lists
    members[0]!.close();
    for (const i of [1, 3, 4]) await expect.poll(() => seen(i), { timeout: 5_000, interval: 50 }).toEqual(remaining.filter((id) => id !== "rev-1"));
  });
});
