import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { PlanroomServer, PlanroomServerOptions } from "../../../server/app/create-server.js";
import { metricValue, parseMetrics } from "../../support/metrics-text.js";
import { connect, startTestServer, type TestClient } from "../../support/planroom-test-kit.js";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "../../support/postgres-database.js";
import { tokenOf } from "../../support/test-principals.js";

const hasPostgres = await postgresAvailable("shared rate limit tests (two servers on one PostgreSQL database)");

describe("rateLimitStore", () => {
  it("stops start-up, naming the rate limit store, when its database cannot be reached", async () => {
    await expect(startTestServer({ rateLimitStore: { connectionString: "postgres://postgres@127.0.0.1:1/test" } })).rejects.toThrow(/^the rate limit store cannot be reached: /);
  });

  it("is refused at start-up when it is not a PostgreSQL URL", async () => {
    await expect(startTestServer({ rateLimitStore: { connectionString: "mysql://localhost/x" } })).rejects.toThrow(/rateLimitStore\.connectionString must be a postgres:\/\/ or postgresql:\/\/ URL/);
  });
});

describe.skipIf(!hasPostgres)("two servers on one rate limit store", () => {
  let database: TestDatabase;
  const servers: PlanroomServer[] = [];
  const clients: TestClient[] = [];

  async function twoServers(options: PlanroomServerOptions): Promise<[PlanroomServer, PlanroomServer]> {
    const started = await Promise.all([startTestServer({ rateLimitStore: { connectionString: database.url }, ...options }), startTestServer({ rateLimitStore: { connectionString: database.url }, ...options })]);
    servers.push(...started);
    return [started[0], started[1]];
  }
  async function join(server: PlanroomServer, id: string): Promise<TestClient> {
    const client = await connect(server.url, id);
    clients.push(client);
    return client;
  }
  async function whoamis(client: TestClient, n: number): Promise<{ ok: number; codes: string[] }> {
    const acks = await Promise.all(Array.from({ length: n }, () => client.cmd("session:whoami", {})));
    return { ok: acks.filter((a) => a.ok).length, codes: acks.flatMap((a) => (a.ok ? [] : [a.error.code])) };
  }

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const s of servers.splice(0)) await s.close();
    // The counts outlive the servers (that is the point): each test starts from none.
    await database.query("DROP TABLE IF EXISTS planroom_rate_principals, planroom_rate_addresses");
  });
  afterAll(async () => {
    await database?.drop();
  });

  it("gives a principal with sockets on both servers one budget: the sixth command over both is RATE_LIMITED", async () => {
    // A window of 5 / 0.1 = 50 s: nothing comes back during the test.
    const [a, b] = await twoServers({ rateLimit: { burst: 5, perSecond: 0.1 } });
    const onA = await join(a, "agent-1");
    const onB = await join(b, "agent-1");
    const first = await whoamis(onA, 3);
    const second = await whoamis(onB, 2);
    expect(first.ok + second.ok).toBe(5);
    const sixth = await onB.cmd("session:whoami", {});
    expect(sixth).toEqual({ ok: false, error: { code: "RATE_LIMITED", message: expect.stringMatching(/^too many requests from agent-1 .*: try again in \d+ s$/) } });
    expect((await whoamis(onA, 1)).codes).toEqual(["RATE_LIMITED"]);
    // HTTP on either server draws from the same budget.
    const res = await fetch(`${b.url}/api/plans`, { headers: { authorization: `Bearer ${tokenOf("agent-1")}` } });
    expect(res.status).toBe(429);
    // Another principal has a budget of its own, on both.
    expect((await whoamis(await join(a, "rev-1"), 3)).ok + (await whoamis(await join(b, "rev-1"), 2)).ok).toBe(5);

    // Each server's /metrics reports its own refusals, labelled with its own node id.
    const scrape = async (server: PlanroomServer) => parseMetrics(await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${tokenOf("root")}` } })).text());
    const [metricsA, metricsB] = await Promise.all([scrape(a), scrape(b)]);
    expect(a.nodeId).not.toBe(b.nodeId);
    expect(metricValue(metricsA, "planroom_rate_limited_total", { node: a.nodeId })).toBe(1);
    expect(metricValue(metricsB, "planroom_rate_limited_total", { node: b.nodeId })).toBe(2);
    expect(metricsA.every((s) => s.labels.node === a.nodeId)).toBe(true);
    expect(metricsB.every((s) => s.labels.node === b.nodeId)).toBe(true);
  });

  it("counts the addresses' budget before authentication across both servers too", async () => {
    const [a, b] = await twoServers({ handshakeLimit: { burst: 3, perSecond: 0.1 } });
    const statuses: number[] = [];
    for (const server of [a, b, a, b]) statuses.push((await fetch(`${server.url}/api/plans`)).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
  });
});
