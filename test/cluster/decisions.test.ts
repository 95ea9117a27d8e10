import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import type { PlanEvent } from "../../shared/index.js";
import type { PrincipalConfig } from "../../server/auth/principal-config.js";
import { startCluster, type Cluster } from "../support/cluster.js";
import { chainPlan } from "../support/planroom-test-kit.js";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "../support/postgres-database.js";

const hasPostgres = await postgresAvailable("cluster tests");

/** 30 reviewers, an agent and an admin (to read /metrics). */
const PRINCIPALS: PrincipalConfig[] = [
  { id: "agent-1", name: "Agent", roles: ["agent"], token: "agent-1-token-secret-000" },
  { id: "agent-2", name: "Agent Two", roles: ["agent"], token: "agent-2-token-secret-000" },
  { id: "root", name: "Admin", roles: ["admin"], token: "root-token-secret-000000" },
  ...Array.from({ length: 30 }, (_, i) => ({ id: `rev-${i + 1}`, name: `Reviewer ${i + 1}`, roles: ["reviewer" as const], token: `rev-${i + 1}-token-secret-0000` })),
];

/** Every stored event, per plan, in seq order. */
async function table(url: string): Promise<Map<string, PlanEvent[]>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ plan_id: string; body: PlanEvent }>("SELECT plan_id, body FROM plan_events ORDER BY plan_id, seq");
    const byPlan = new Map<string, PlanEvent[]>();
    for (const row of rows) byPlan.set(row.plan_id, [...(byPlan.get(row.plan_id) ?? []), row.body]);
    return byPlan;
  } finally {
    await client.end();
  }
}

/** `planroom_append_conflicts_total{kind="seq"}` summed over the nodes. */
async function seqConflicts(cluster: Cluster): Promise<number> {
  let total = 0;
  for (let i = 0; i < cluster.size; i++) {
    const text = await (await fetch(`${cluster.node(i).url}/metrics`, { headers: { authorization: "Bearer root-token-secret-000000" } })).text();
    for (const m of text.matchAll(/^planroom_append_conflicts_total\{[^}]*kind="seq"[^}]*\} (\d+)/gm)) total += Number(m[1]);
  }
  return total;
}

/** A vote, retried when the plan changed under it too often (what any client does with CONFLICT). */
async function vote(cluster: Awaited<ReturnType<Cluster["connect"]>>, planId: string): Promise<unknown> {
  for (;;) {
    try {
      return await cluster.client.command("plan:vote", { planId, version: 1, decision: "approve" });
    } catch (error) {
      if ((error as { code?: string }).code !== "CONFLICT" || String((error as Error).message).includes("version")) return error;
    }
  }
}

describe.skipIf(!hasPostgres)("three nodes on one database: decisions and fan-out", () => {
  let database: TestDatabase;
  let cluster: Cluster;

  beforeAll(async () => {
    database = await createTestDatabase();
    cluster = await startCluster({ size: 3, store: database.url, principals: PRINCIPALS, config: { limits: { maxOpenPlansPerAgent: 1_000 } } });
  }, 90_000);
  afterAll(async () => {
    await cluster?.close();
    await database?.drop();
  });

  it("200 plans, quorum 2 of 5 reviewers on 3 nodes, all votes in the same tick: each approved exactly once, after its second vote", { timeout: 120_000 }, async () => {
    const agents = [await cluster.connect("agent-1", { node: 0 }), await cluster.connect("agent-2", { node: 2 })];
    const voters = await Promise.all([1, 2, 3, 4, 5].map((n) => cluster.connect(`rev-${n}`, { node: n % 3 })));
    const reviewers = voters.map((_, i) => `rev-${i + 1}`);
    const planIds: string[] = [];
    for (let i = 0; i < 200; i++) {
      const { planId } = await agents[i % 2]!.client.command("plan:submit", { plan: chainPlan(["t"]), tools: ["t"], approval: { quorum: 2, reviewers }, autoExecute: false });
      planIds.push(planId);
    }
    const conflictsBefore = await seqConflicts(cluster);
    await Promise.all(planIds.flatMap((planId) => voters.map((v) => v.client.command("plan:vote", { planId, version: 1, decision: "approve" }).catch((e: unknown) => e))));
    const stored = await table(database.url);
    let approvals = 0;
    for (const planId of planIds) {
      const events = stored.get(planId)!;
      const approved = events.filter((e) => e.type === "plan.approved");
      expect(approved, planId).toHaveLength(1);
      approvals++;
      const before = events.slice(0, events.indexOf(approved[0]!));
      expect(before.filter((e) => e.type === "vote.cast"), planId).toHaveLength(2);
      expect(events.filter((e) => e.type === "vote.cast").length, planId).toBeLessThanOrEqual(2);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    }
    expect(approvals).toBe(200);
    // the race really ran: commands were decided again after another node's events came first
    expect((await seqConflicts(cluster)) - conflictsBefore).toBeGreaterThan(0);
  });

  it("30 reviewers, 10 per node, 20 plans, votes through every node: each client gets every event of every plan once, in seq order, as stored", { timeout: 120_000 }, async () => {
    const agent = await cluster.connect("agent-1", { node: 1 });
    const reviewers = await Promise.all(Array.from({ length: 30 }, (_, i) => cluster.connect(`rev-${i + 1}`, { node: i % 3 })));
    const planIds: string[] = [];
    for (let i = 0; i < 20; i++) {
      const { planId } = await agent.client.command("plan:submit", { plan: chainPlan(["t"]), tools: ["t"], approval: { quorum: 30, reviewers: ["reviewer"] }, autoExecute: false });
      planIds.push(planId);
    }
    // every reviewer follows every plan from its first event
    await Promise.all(reviewers.flatMap((r) => planIds.map((planId) => r.client.command("plan:join", { planId }))));
    await Promise.all(reviewers.flatMap((r) => planIds.map((planId) => vote(r, planId))));
    const stored = await table(database.url);
    for (const planId of planIds) expect(stored.get(planId)!.at(-1)!.type, planId).toBe("plan.approved");
    for (const [index, r] of reviewers.entries()) {
      for (const planId of planIds) {
        const expected = stored.get(planId)!.slice(1); // joined at seq 1
        await expect.poll(() => r.connections.flat().filter((e) => e.planId === planId).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(expected.length);
        expect(r.connections, `rev-${index + 1}`).toHaveLength(1);
        const received = r.connections[0]!.filter((e) => e.planId === planId);
        expect(received, `rev-${index + 1} ${planId}`).toEqual(expected);
      }
    }
  });

  it("hint connections cut every 2 s while events flow: every client still gets every event, within the feed's poll + 1 s", { timeout: 120_000 }, async () => {
    const agent = await cluster.connect("agent-1", { node: 0 });
    const reviewers = await Promise.all(Array.from({ length: 6 }, (_, i) => cluster.connect(`rev-${i + 1}`, { node: i % 3 })));
    const planIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { planId } = await agent.client.command("plan:submit", { plan: chainPlan(["t"]), tools: ["t"], approval: { quorum: 30, reviewers: ["reviewer"] }, autoExecute: false });
      planIds.push(planId);
    }
    await Promise.all(reviewers.flatMap((r) => planIds.map((planId) => r.client.command("plan:join", { planId }))));
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    let cuts = 0;
    const cutter = setInterval(() => {
      void admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'planroom listener%'").then((r) => (cuts += r.rowCount ?? 0));
    }, 2_000);
    try {
      // votes from every reviewer, one plan after another, for about 7 s
      for (let round = 0; round < 14; round++) {
        const voter = reviewers[round % reviewers.length]!;
        const planId = planIds[round % planIds.length]!;
        await voter.client.command("plan:vote", { planId, version: 1, decision: "approve" }).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      clearInterval(cutter);
      await admin.end();
    }
    expect(cuts).toBeGreaterThan(0);
    const stored = await table(database.url);
    for (const r of reviewers) {
      for (const planId of planIds) {
        const expected = stored.get(planId)!.slice(1);
        // the last vote is at most a feed poll (1 s) + 1 s behind
        await expect.poll(() => r.connections.flat().filter((e) => e.planId === planId), { timeout: 2_000, interval: 50 }).toEqual(expected);
      }
    }
  });
});

describe.skipIf(!hasPostgres)("three nodes started at the same instant on an empty database", () => {
  let database: TestDatabase;
  let cluster: Cluster;

  beforeAll(async () => {
    database = await createTestDatabase();
    cluster = await startCluster({ size: 3, store: database.url, principals: null });
  }, 90_000);
  afterAll(async () => {
    await cluster?.close();
    await database?.drop();
  });

  it("serve the same development principals", () => {
    const sets = [0, 1, 2].map((i) =>
      [...cluster.node(i).server.output().matchAll(/^ {2}(\S+)\s+\S+\s+token (\S+)/gm)].map((m) => `${m[1]} ${m[2]}`),
    );
    expect(sets[0]!.length).toBeGreaterThan(0);
    expect(sets[1]).toEqual(sets[0]);
    expect(sets[2]).toEqual(sets[0]);
  });
});
