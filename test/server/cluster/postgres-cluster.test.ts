import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Hint } from "../../../server/cluster/cluster.js";
import { encodePayload } from "../../../server/cluster/postgres/hint-codec.js";
import { createPostgresCluster, type PostgresCluster } from "../../../server/cluster/postgres/postgres-cluster.js";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "../../support/postgres-database.js";
import { PlanEvents } from "../store/plan-events.js";

const hasPostgres = await postgresAvailable("PostgreSQL cluster tests");

const SECRET = "the test cluster's shared secret";
const WAIT = { timeout: 10_000, interval: 20 };

/** Several cluster nodes on one database, as separate processes would be. */
describe.skipIf(!hasPostgres)("PostgreSQL cluster", () => {
  let database: TestDatabase;
  const clusters: PostgresCluster[] = [];
  const warnings: string[] = [];

  /** A node with short timings; `options` override them. */
  function node(nodeId: string, options: Partial<Parameters<typeof createPostgresCluster>[0]> = {}): PostgresCluster {
    const cluster = createPostgresCluster({
      connectionString: database.url,
      nodeId,
      secret: SECRET,
      heartbeatMs: 50,
      deadAfterMs: 5_000,
      probeMs: 500,
      batchMs: 2,
      reconnectMs: 20,
      onWarning: (message) => warnings.push(`${nodeId}: ${message}`),
      ...options,
    });
    clusters.push(cluster);
    return cluster;
  }

  async function openNodes(...ids: string[]): Promise<PostgresCluster[]> {
    const nodes = ids.map((id) => node(id));
    await Promise.all(nodes.map((n) => n.open()));
    return nodes;
  }

  /** The hints a node receives, with their senders. */
  function received(cluster: PostgresCluster): { hint: Hint; from: string }[] {
    const seen: { hint: Hint; from: string }[] = [];
    cluster.onHint((hint, from) => seen.push({ hint, from }));
    return seen;
  }

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterEach(async () => {
    for (const cluster of clusters.splice(0)) await cluster.close();
    warnings.length = 0;
  });
  afterAll(async () => {
    await database?.drop();
  });

  it("delivers each node's hints to the other nodes in the order it published them, never to itself", async () => {
    const nodes = await openNodes("a", "b", "c");
    const seen = nodes.map((n) => received(n));
    const count = 1_000;
    for (let seq = 1; seq <= count; seq++) for (const n of nodes) n.publish({ kind: "head", planId: `plan-of-${n.nodeId}`, seq });
    await vi.waitFor(() => expect(seen.map((s) => s.length)).toEqual([2 * count, 2 * count, 2 * count]), WAIT);
    nodes.forEach((n, i) => {
      const bySender = new Map<string, number[]>();
      for (const { hint, from } of seen[i]!) {
        expect(hint).toMatchObject({ kind: "head", planId: `plan-of-${from}` });
        bySender.set(from, [...(bySender.get(from) ?? []), (hint as { seq: number }).seq]);
      }
      const others = nodes.filter((o) => o !== n).map((o) => o.nodeId);
      expect([...bySender.keys()].sort()).toEqual(others);
      for (const other of others) expect(bySender.get(other)).toEqual(Array.from({ length: count }, (_, k) => k + 1));
      expect(n.stats()).toMatchObject({ sent: count, unsent: 0, received: 2 * count, dropped: 0 });
    });
  });

  it("sends events inline when they fit, and a head hint of their last seq when they do not", async () => {
    const [a, b] = await openNodes("a", "b");
    const seen = received(b!);
    const p = new PlanEvents("big");
    const small = [p.submitted(), p.vote()];
    const large = { ...p.vote(), data: { vote: { voterId: "r", voterName: "x".repeat(9_000), decision: "approve", version: 1, at: 1 } } } as (typeof small)[number];
    a!.publish({ kind: "events", planId: "big", events: small });
    a!.publish({ kind: "events", planId: "big", events: [large] });
    await vi.waitFor(() => expect(seen).toHaveLength(2), WAIT);
    expect(seen.map((s) => s.hint)).toEqual([
      { kind: "events", planId: "big", events: small },
      { kind: "head", planId: "big", seq: 3 },
    ]);
  });

  it("drops and counts a NOTIFY that is not signed with the cluster secret, and still takes the signed ones", async () => {
    const [a, b] = await openNodes("a", "b");
    const seen = received(b!);
    const forged = JSON.stringify({ f: "a", n: 0, h: [{ kind: "cancel", planId: "victim" }] });
    await database.query("SELECT pg_notify('planroom', $1)", [`${"A".repeat(43)}.${forged}`]);
    await database.query("SELECT pg_notify('planroom', $1)", [encodePayload("a", 1, ['{"kind":"cancel","planId":"victim"}'], Buffer.from("some other secret of some length"))]);
    await database.query("SELECT pg_notify('planroom', $1)", [forged]);
    a!.publish({ kind: "presence", planId: "genuine" });
    await vi.waitFor(() => expect(seen).toHaveLength(1), WAIT);
    await vi.waitFor(() => expect(b!.stats().dropped).toBe(3), WAIT);
    expect(seen).toEqual([{ hint: { kind: "presence", planId: "genuine" }, from: "a" }]);
  });

  it("reconnects the listener whose backend was terminated, writes its presence and routes again, and receives later hints", async () => {
    const [a, b] = await openNodes("a", "b");
    const seen = received(b!);
    let reconnects = 0;
    b!.onReconnect(() => reconnects++);
    await b!.presence.join({ planId: "room", socketId: "sb", principalId: "bob", name: "Bob", roles: ["reviewer"] });
    await b!.routes.set("room", "agent-b");
    // what a database crash does to UNLOGGED tables, then the connection cut
    await database.query("TRUNCATE presence, agent_routes");
    const terminated = await database.query<{ ok: boolean }>("SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'planroom listener b'");
    expect(terminated).toEqual([{ ok: true }]);
    await vi.waitFor(() => expect(reconnects).toBe(1), WAIT);
    expect(b!.stats().reconnects).toBe(1);
    expect(await a!.presence.of("room")).toEqual([{ principalId: "bob", name: "Bob", roles: ["reviewer"] }]);
    expect(await a!.routes.of("room")).toEqual({ nodeId: "b", socketId: "agent-b" });
    a!.publish({ kind: "route", planId: "after" });
    await vi.waitFor(() => expect(seen.map((s) => s.hint)).toContainEqual({ kind: "route", planId: "after" }), WAIT);
    expect(warnings.some((w) => w.startsWith("b: the hint listener connection was lost"))).toBe(true);
  });

  it("opens the notifier connection again after it was lost, and later hints arrive", async () => {
    const [a, b] = await openNodes("a", "b");
    const seen = received(b!);
    a!.publish({ kind: "cancel", planId: "first" });
    await vi.waitFor(() => expect(seen).toHaveLength(1), WAIT);
    const terminated = await database.query<{ ok: boolean }>("SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'planroom notifier a'");
    expect(terminated).toEqual([{ ok: true }]);
    await vi.waitFor(() => expect(warnings).toContain("a: the notifier connection was lost"), WAIT);
    a!.publish({ kind: "cancel", planId: "second" });
    await vi.waitFor(() => expect(seen.map((s) => s.hint)).toEqual([{ kind: "cancel", planId: "first" }, { kind: "cancel", planId: "second" }]), WAIT);
    expect(a!.stats()).toMatchObject({ sent: 2, unsent: 0 });
  });

  it("merges the presence of two nodes into one entry per principal, and hints the other node of each change", async () => {
    const [a, b] = await openNodes("a", "b");
    const seenByB = received(b!);
    await a!.presence.join({ planId: "room", socketId: "a1", principalId: "ann", name: "Ann", roles: ["reviewer"] });
    await a!.presence.join({ planId: "room", socketId: "a2", principalId: "bob", name: "Bob", roles: ["reviewer"] });
    await b!.presence.join({ planId: "room", socketId: "b1", principalId: "bob", name: "Bob", roles: ["reviewer"] });
    await b!.presence.join({ planId: "room", socketId: "b2", principalId: "cy", name: "Cy", roles: ["observer"] });
    await b!.presence.join({ planId: "elsewhere", socketId: "b3", principalId: "dee", name: "Dee", roles: ["observer"] });
    const expected = [
      { principalId: "ann", name: "Ann", roles: ["reviewer"] },
      { principalId: "bob", name: "Bob", roles: ["reviewer"] },
      { principalId: "cy", name: "Cy", roles: ["observer"] },
    ];
    expect(await a!.presence.of("room")).toEqual(expected);
    expect(await b!.presence.of("room")).toEqual(expected);
    await a!.presence.leave("room", "a2");
    await a!.presence.leave("room", "b1"); // not a's socket: stays
    expect((await b!.presence.of("room")).map((m) => m.principalId)).toEqual(["ann", "bob", "cy"]);
    await b!.presence.leave("room", "b1");
    expect((await a!.presence.of("room")).map((m) => m.principalId)).toEqual(["ann", "cy"]);
    // join, join, leave; not the leave of b's socket, which changed nothing
    await vi.waitFor(() => expect(seenByB.filter((s) => s.hint.kind === "presence" && s.hint.planId === "room")).toHaveLength(3), WAIT);
  });

  it("sweeps the presence and routes of a node that stopped heartbeating, and hints the plans affected", async () => {
    const sweeper = node("sweeper", { deadAfterMs: 1_000 });
    const watcher = node("watcher");
    // heartbeats once, at open, and not again within the test
    const stalled = node("stalled", { heartbeatMs: 600_000, deadAfterMs: 600_000 });
    await Promise.all([sweeper.open(), watcher.open(), stalled.open()]);
    const bySweeper = received(sweeper);
    const byWatcher = received(watcher);
    await stalled.presence.join({ planId: "gone", socketId: "s1", principalId: "eve", name: "Eve", roles: ["reviewer"] });
    await stalled.routes.set("gone", "agent-s");
    await watcher.presence.join({ planId: "gone", socketId: "w1", principalId: "wes", name: "Wes", roles: ["reviewer"] });
    await vi.waitFor(async () => expect(await watcher.presence.of("gone")).toEqual([{ principalId: "wes", name: "Wes", roles: ["reviewer"] }]), WAIT);
    expect(await watcher.routes.of("gone")).toBeUndefined();
    expect(await database.query("SELECT node_id FROM nodes WHERE node_id = 'stalled'")).toEqual([]);
    // the sweeper's own listeners hear it from the dead node; the others from the sweeper
    await vi.waitFor(() => expect(bySweeper).toEqual(expect.arrayContaining([{ hint: { kind: "presence", planId: "gone" }, from: "stalled" }, { hint: { kind: "route", planId: "gone" }, from: "stalled" }])), WAIT);
    await vi.waitFor(() => expect(byWatcher).toEqual(expect.arrayContaining([{ hint: { kind: "presence", planId: "gone" }, from: "sweeper" }, { hint: { kind: "route", planId: "gone" }, from: "sweeper" }])), WAIT);
    // the live nodes stay
    expect((await database.query<{ node_id: string }>("SELECT node_id FROM nodes ORDER BY node_id")).map((r) => r.node_id)).toEqual(["sweeper", "watcher"]);
  });

  it("writes its presence and routes again at the next heartbeat when its node row was swept while it was alive", async () => {
    const [a, b] = await openNodes("a", "b");
    const seen = received(b!);
    await a!.presence.join({ planId: "room", socketId: "a1", principalId: "ann", name: "Ann", roles: ["reviewer"] });
    await a!.routes.set("room", "agent-a");
    // what another node's sweep does to a node that looked dead (a long pause, say)
    await database.query("WITH n AS (DELETE FROM nodes WHERE node_id = 'a'), p AS (DELETE FROM presence WHERE node_id = 'a') DELETE FROM agent_routes WHERE node_id = 'a'");
    await vi.waitFor(async () => expect(await b!.presence.of("room")).toEqual([{ principalId: "ann", name: "Ann", roles: ["reviewer"] }]), WAIT);
    await vi.waitFor(async () => expect(await b!.routes.of("room")).toEqual({ nodeId: "a", socketId: "agent-a" }), WAIT);
    expect(await database.query("SELECT node_id FROM nodes WHERE node_id = 'a'")).toEqual([{ node_id: "a" }]);
    await vi.waitFor(() => expect(seen.filter((s) => s.hint.kind === "route")).toHaveLength(2), WAIT);
  });

  it("leaves a newer route when a stale socket clears its old one, on the same node or another", async () => {
    const [a, b] = await openNodes("a", "b");
    await a!.routes.set("p1", "old");
    await a!.routes.set("p1", "new");
    await a!.routes.clear("p1", "old");
    expect(await b!.routes.of("p1")).toEqual({ nodeId: "a", socketId: "new" });
    await b!.routes.set("p1", "moved");
    await a!.routes.clear("p1", "new");
    expect(await a!.routes.of("p1")).toEqual({ nodeId: "b", socketId: "moved" });
    await b!.routes.clear("p1", "moved");
    expect(await a!.routes.of("p1")).toBeUndefined();
  });

  it("deregisters on close: its presence and routes go, the others are hinted, its connections end; close is idempotent", async () => {
    const [a, b] = await openNodes("a", "b");
    const seen = received(b!);
    await a!.presence.join({ planId: "room", socketId: "a1", principalId: "ann", name: "Ann", roles: ["reviewer"] });
    await a!.routes.set("room", "agent-a");
    await a!.close();
    await a!.close();
    a!.publish({ kind: "presence", planId: "room" });
    expect(await b!.presence.of("room")).toEqual([]);
    expect(await b!.routes.of("room")).toBeUndefined();
    await vi.waitFor(() => expect(seen.map((s) => s.hint)).toEqual(expect.arrayContaining([{ kind: "presence", planId: "room" }, { kind: "route", planId: "room" }])), WAIT);
    await vi.waitFor(async () => expect(await database.query("SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'planroom% a'")).toEqual([]), WAIT);
    expect(await database.query("SELECT node_id FROM nodes WHERE node_id = 'a'")).toEqual([]);
    await expect(a!.presence.of("room")).rejects.toMatchObject({ code: "INVALID_STATE" });
    await expect(a!.open()).rejects.toMatchObject({ code: "INVALID_STATE" });
  });

  it("refuses bad input with VALIDATION and calls before open with INVALID_STATE", async () => {
    expect(() => createPostgresCluster({ connectionString: database.url, nodeId: "x", secret: "short" })).toThrow(expect.objectContaining({ code: "VALIDATION" }));
    expect(() => createPostgresCluster({ connectionString: database.url, nodeId: "", secret: SECRET })).toThrow(expect.objectContaining({ code: "VALIDATION" }));
    const a = node("a");
    await expect(a.routes.of("p1")).rejects.toMatchObject({ code: "INVALID_STATE" });
    a.publish({ kind: "presence", planId: "p1" });
    await a.open();
    await expect(a.presence.join({ planId: "bad id!", socketId: "s", principalId: "p", name: "P", roles: [] })).rejects.toMatchObject({ code: "VALIDATION" });
    await expect(a.routes.set("p1", "")).rejects.toMatchObject({ code: "VALIDATION" });
    // a malformed hint is dropped with a warning, never thrown
    a.publish({ kind: "head", planId: "p1", seq: -5 });
    expect(warnings).toContain("a: a head hint is malformed and was not sent");
    expect(await a.presence.of("p1")).toEqual([]);
  });

  it("fails to open with a clear error when the database does not exist, leaving nothing running", async () => {
    const url = new URL(database.url);
    url.pathname = "/planroom_test_missing_database";
    const cluster = node("lost", { connectionString: url.toString() });
    await expect(cluster.open()).rejects.toMatchObject({ code: "INTERNAL", message: expect.stringContaining("could not open") });
  });
});
