import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import type { PlanEvent } from "../../shared/index.js";
import { startCluster, type Cluster } from "../support/cluster.js";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "../support/postgres-database.js";

const hasPostgres = await postgresAvailable("cluster tests");

/** Short lease timings, so that a takeover happens within seconds. */
const LEASE = { ttlMs: 2_000, renewMs: 600, sweepMs: 200 };
const TRIALS = 5;
const STEPS = 30;

async function query<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

describe.skipIf(!hasPostgres)("SIGKILL of the node executing a plan", () => {
  let database: TestDatabase;
  let cluster: Cluster;

  beforeAll(async () => {
    database = await createTestDatabase();
    cluster = await startCluster({ size: 3, store: database.url, config: { lease: LEASE, toolModules: [resolve("examples/demo-tools.ts")] } });
  }, 90_000);
  afterAll(async () => {
    await cluster?.close();
    await database?.drop();
  });

  it(`${TRIALS} trials at random moments of a ${STEPS}-step plan: taken over within TTL + 1 s, no step completed twice, no event of the old epoch after the new one's first, clients end with every event once`, { timeout: 300_000 }, async () => {
    const takeovers: number[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const agent = await cluster.connect("agent-1");
      const watcher = await cluster.connect("obs");
      const steps = Array.from({ length: STEPS }, (_, i) => ({ id: `s${i + 1}`, tool: "sleep", params: { ms: 100 }, retry: { maxAttempts: 3 }, ...(i > 0 ? { dependsOn: [`s${i}`] } : {}) }));
      const { planId } = await agent.client.command("plan:submit", { plan: { description: `takeover ${trial}`, steps }, approval: { reviewers: ["rev-1"] }, autoExecute: true });
      const room = await watcher.client.join(planId);
      const reviewer = await cluster.connect("rev-1");
      await reviewer.client.command("plan:vote", { planId, version: 1, decision: "approve" });
      // kill the lease holder at a random moment of the run (the step it was running is retried as INTERRUPTED)
      await new Promise((r) => setTimeout(r, 200 + Math.floor(Math.random() * 2_300)));
      const [holder] = await query<{ lease_owner: string | null; status: string }>(database.url, "SELECT lease_owner, status FROM plans WHERE plan_id = $1", [planId]);
      const index = [0, 1, 2].find((i) => cluster.node(i).nodeId === holder?.lease_owner);
      expect(index, `trial ${trial}: a node holds the lease (${JSON.stringify(holder)})`).toBeDefined();
      await cluster.kill(index!);
      const killedAt = Date.now();
      const before = await query<{ lease_epoch: number }>(database.url, "SELECT lease_epoch::int FROM plans WHERE plan_id = $1", [planId]);
      await expect.poll(async () => (await query<{ status: string }>(database.url, "SELECT status FROM plans WHERE plan_id = $1", [planId]))[0]!.status, { timeout: STEPS * 100 + LEASE.ttlMs + 10_000, interval: 100 }).toBe("completed");
      const events = (await query<{ body: PlanEvent; lease_epoch: number | null; created_at: Date }>(database.url, "SELECT body, lease_epoch::int, created_at FROM plan_events WHERE plan_id = $1 ORDER BY seq", [planId]));
      // one completion per step
      const completed = events.filter((e) => e.body.type === "step.completed").map((e) => (e.body as { data: { stepId: string } }).data.stepId);
      expect(new Set(completed).size, `trial ${trial}`).toBe(completed.length);
      expect(completed).toHaveLength(STEPS);
      // epochs never go back
      const epochs = events.map((e) => e.lease_epoch).filter((e): e is number => e !== null);
      expect(epochs, `trial ${trial}`).toEqual([...epochs].sort((a, b) => a - b));
      // takeover: the first event of a newer epoch within TTL + 1 s of the kill (database clock vs the kill's wall clock)
      const newer = events.find((e) => e.lease_epoch !== null && e.lease_epoch > before[0]!.lease_epoch);
      if (newer) takeovers.push(newer.created_at.getTime() - killedAt);
      // the observer (reconnected through the proxy if its node was killed) ends with every event once, in order
      await expect.poll(() => room.state.plan.status, { timeout: 10_000 }).toBe("completed");
      expect(room.state.seq).toBe(events.length);
      agent.close();
      watcher.close();
      reviewer.close();
      await cluster.restart(index!);
    }
    expect(takeovers.length).toBeGreaterThan(0);
    for (const ms of takeovers) expect(ms).toBeLessThanOrEqual(LEASE.ttlMs + 1_000);
  });
});
