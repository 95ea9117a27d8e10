import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { PlanroomServer } from "../../../server/app/create-server.js";
import type { ToolHandler } from "../../../server/executor/tool-registry.js";
import { createPostgresStore } from "../../../server/store/postgres/postgres-store.js";
import type { Store } from "../../../server/store/store.js";
import { chainPlan, connect, startTestServer, type TestClient } from "../../support/planroom-test-kit.js";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "../../support/postgres-database.js";

const hasPostgres = await postgresAvailable("executor lease takeover tests");

const LEASE = { ttlMs: 600, renewMs: 150, sweepMs: 50 };

/** Polls `check` every 20 ms for at most `timeoutMs`. */
async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Tools that count their calls; `hold` ones do not answer until their call is aborted. */
function countingTools(names: string[], hold: string[] = []): { tools: Record<string, ToolHandler>; calls: Map<string, number>; aborted: string[] } {
  const calls = new Map<string, number>();
  const aborted: string[] = [];
  const tools: Record<string, ToolHandler> = {};
  for (const name of names) {
    tools[name] = (_params, ctx) => {
      calls.set(name, (calls.get(name) ?? 0) + 1);
      if (!hold.includes(name)) return { ok: name };
      return new Promise((_resolve, reject) => ctx.signal.addEventListener("abort", () => {
        aborted.push(name);
        reject(new Error("aborted"));
      }, { once: true }));
    };
  }
  return { tools, calls, aborted };
}

describe.skipIf(!hasPostgres)("executor leases across two nodes on one database", () => {
  let database: TestDatabase;
  const servers: PlanroomServer[] = [];
  const clients: TestClient[] = [];
  const stores: Store[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const s of servers.splice(0)) await s.close();
    for (const s of stores.splice(0)) await s.close().catch(() => {});
    await database.query("TRUNCATE plans CASCADE").catch(() => {});
  });
  afterAll(async () => {
    await database?.drop();
  });

  async function node(store: Store | string, tools: Record<string, ToolHandler>): Promise<PlanroomServer> {
    const server = await startTestServer({ store, tools, lease: LEASE, shutdownGraceMs: 0 });
    servers.push(server);
    return server;
  }
  async function client(server: PlanroomServer, id: string): Promise<TestClient> {
    const c = await connect(server.url, id);
    clients.push(c);
    return c;
  }
  function storeObject(): Store {
    const store = createPostgresStore({ connectionString: database.url });
    return store;
  }
  async function status(planId: string): Promise<string | undefined> {
    const rows = await database.query<{ status: string }>("SELECT status FROM plans WHERE plan_id = $1", [planId]);
    return rows[0]?.status;
  }
  async function approvedPlan(on: PlanroomServer, tools: string[]): Promise<string> {
    const agent = await client(on, "agent-1");
    const rev = await client(on, "rev-1");
    // An interrupted attempt is retried by the node that takes the run over.
    const plan = chainPlan(tools);
    const steps = plan.steps.map((step) => ({ ...step, retry: { maxAttempts: 2, backoffMs: 0 } }));
    const { planId } = await agent.ok("plan:submit", { plan: { ...plan, steps }, autoExecute: true });
    await rev.ok("plan:vote", { planId, version: 1, decision: "approve" });
    return planId;
  }

  it("takes over a run whose node stopped renewing its lease, within TTL + a sweep, without running a completed step again", async () => {
    const aStore = storeObject();
    const a = countingTools(["one", "two", "three"], ["two"]);
    const b = countingTools(["one", "two", "three"]);
    const serverA = await node(aStore, a.tools);
    await node(database.url, b.tools);
    const planId = await approvedPlan(serverA, ["one", "two", "three"]);
    await until(() => a.calls.get("two") === 1, "step s2 to start on A");
    // A is cut off from the database's leases (a paused or partitioned node): its lease expires.
    aStore.renewLeases = () => Promise.reject(new Error("cut off"));
    const cutAt = Date.now();
    await until(async () => (await status(planId)) === "completed", "B to complete the plan");
    expect(Date.now() - cutAt).toBeLessThan(LEASE.ttlMs + 5_000);
    expect(a.calls.get("one")).toBe(1);
    expect(b.calls.get("one") ?? 0).toBe(0); // completed on A: never rerun
    expect(b.calls.get("two")).toBe(1);
    expect(b.calls.get("three")).toBe(1);
    expect(a.calls.get("three") ?? 0).toBe(0);
    const events = await aStore.readEvents(planId);
    const completed = events.filter((e) => e.type === "step.completed").map((e) => (e.data as { stepId: string }).stepId);
    expect(completed).toEqual(["s1", "s2", "s3"]);
  });

  it("stops a run at its next renewal once another owner took its expired lease: no tool call starts after", async () => {
    const a = countingTools(["one", "two"], ["one"]);
    await node(database.url, a.tools);
    const planId = await approvedPlan(servers[0]!, ["one", "two"]);
    await until(() => a.calls.get("one") === 1, "step s1 to start");
    const intruder = storeObject();
    stores.push(intruder);
    await intruder.open();
    await database.query("UPDATE plans SET lease_expires_at = now() - interval '1 second' WHERE plan_id = $1", [planId]);
    await intruder.acquireLease(planId, "another-node", { ttlMs: 60_000 });
    // The lost run is aborted (its held tool call rejects on abort) and records nothing more.
    const before = (await intruder.readEvents(planId)).length;
    await until(() => a.aborted.includes("one"), "the run to be aborted", LEASE.renewMs * 10);
    await servers[0]!.close(); // whatever the aborted run still had on its way is settled by now
    expect(a.calls.get("two") ?? 0).toBe(0);
    expect((await intruder.readEvents(planId)).length).toBe(before);
    expect(await status(planId)).toBe("executing");
  });

  it("cancels on B a plan running on A", async () => {
    const a = countingTools(["one", "two"], ["one"]);
    const serverA = await node(database.url, a.tools);
    const serverB = await node(database.url, countingTools(["one", "two"]).tools);
    const planId = await approvedPlan(serverA, ["one", "two"]);
    await until(() => a.calls.get("one") === 1, "step s1 to start on A");
    const admin = await client(serverB, "root");
    const answer = await admin.ok("plan:cancel", { planId, reason: "stop it" });
    expect(answer.seq).toBeGreaterThan(0);
    expect(await status(planId)).toBe("cancelled");
    expect(a.calls.get("two") ?? 0).toBe(0);
  });

  it("starts an approved auto-execute plan whose approving node could not start it", async () => {
    const aStore = storeObject();
    // A approves, then fails to take the lease (it dies before starting the run).
    aStore.acquireLease = () => Promise.reject(new Error("node lost"));
    const serverA = await node(aStore, countingTools(["one"]).tools);
    const b = countingTools(["one"]);
    await node(database.url, b.tools);
    const planId = await approvedPlan(serverA, ["one"]);
    await until(async () => (await status(planId)) === "completed", "B to run the plan");
    expect(b.calls.get("one")).toBe(1);
  });
});
