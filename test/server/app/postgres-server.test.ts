import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startChildServer, type ChildServer } from "../../support/child-server.js";
import { runCli } from "../../support/cli-process.js";
import { chainPlan, connect, type TestClient } from "../../support/planroom-test-kit.js";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "../../support/postgres-database.js";
import { TEST_PRINCIPALS, tokenOf } from "../../support/test-principals.js";

const hasPostgres = await postgresAvailable("PostgreSQL server tests");

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** Runs `serve.ts` to its end (a start that is refused); its exit code and stderr. */
function runServe(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", "server/app/serve.ts", ...args], { cwd: ROOT, timeout: 30_000 }, (error, _stdout, stderr) => resolve({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, stderr }));
  });
}

/** Polls `GET /readyz` until it answers `status` (every 20 ms, for at most `timeoutMs`); the last body. */
async function readyzUntil(url: string, status: number, timeoutMs: number): Promise<{ ok: boolean; reason?: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${url}/readyz`);
    const body = (await res.json()) as { ok: boolean; reason?: string };
    if (res.status === status) return body;
    if (Date.now() > deadline) throw new Error(`/readyz still answers ${res.status} ${JSON.stringify(body)}, not ${status}, after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves with the first match of `pattern` in what the server printed, waiting for it (the start-up lines follow the listening line). */
async function printed(server: ChildServer, pattern: RegExp, timeoutMs = 5_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = pattern.exec(server.output());
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`the server printed nothing matching ${pattern}:\n${server.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function getJson(url: string, path: string, principal: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${tokenOf(principal)}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe.skipIf(!hasPostgres)("a node on PostgreSQL (child processes)", () => {
  let database: TestDatabase;
  let dir: string;
  let configFile: string;
  const servers: ChildServer[] = [];
  const clients: TestClient[] = [];

  async function start(args: string[], env: Record<string, string> = {}): Promise<ChildServer> {
    const server = await startChildServer(["--port", "0", "--host", "127.0.0.1", "--config", configFile, ...args], 30_000, env);
    servers.push(server);
    return server;
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), "planroom-pg-node-"));
    configFile = join(dir, "config.json");
    await writeFile(configFile, JSON.stringify({ principals: TEST_PRINCIPALS, dataDir: join(dir, "unused-data") }));
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    for (const s of servers) await s.kill("SIGKILL");
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("serves a plan submitted on a fresh database, and after a restart on the same database still does", { timeout: 60_000 }, async () => {
    // trust authentication ignores the password: it is there to be masked
    const withPassword = new URL(database.url);
    withPassword.password = "s3cret-pw";
    const first = await start(["--store", withPassword.toString()]);
    await printed(first, /^store: PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:5432\/planroom_test_[0-9a-f]+$/m);
    const firstNode = (await printed(first, /^node: (planroom-\d+-[0-9a-f]+)$/m))[1];
    await printed(first, /^server tools: /m);
    expect(first.output()).not.toContain("s3cret-pw");
    expect(first.output()).not.toContain("data directory:");
    expect(await (await fetch(`${first.url}/healthz`)).json()).toEqual({ ok: true, node: firstNode, plans: 0 });

    const agent = await connect(first.url, "agent-1", { tools: { work: () => ({ ok: true, result: 1 }) } });
    clients.push(agent);
    const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["work", "work"], "kept in PostgreSQL"), tools: ["work"], approval: { reviewers: ["rev-1"] } });
    const reviewer = await connect(first.url, "rev-1");
    clients.push(reviewer);
    await reviewer.ok("plan:vote", { planId, version: 1, decision: "approve", comment: "fine" });
    const before = await getJson(first.url, `/api/plans/${planId}`, "rev-1");
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ plan: { description: "kept in PostgreSQL" }, seq: 3 });
    agent.close();
    reviewer.close();
    await first.kill("SIGTERM");
    expect(first.child.exitCode).toBe(0);

    // the same database, named by the environment this time
    const second = await start([], { PLANROOM_DATABASE_URL: database.url });
    const secondNode = (await printed(second, /^node: (planroom-\d+-[0-9a-f]+)$/m))[1];
    expect(secondNode).not.toBe(firstNode);
    expect(await (await fetch(`${second.url}/healthz`)).json()).toEqual({ ok: true, node: secondNode, plans: 1 });
    const after = await getJson(second.url, `/api/plans/${planId}`, "rev-1");
    expect(after.body).toEqual(before.body);
    const observer = await connect(second.url, "obs");
    clients.push(observer);
    const joined = await observer.ok("plan:join", { planId, afterSeq: 0 });
    expect(joined.snapshot.seq).toBe(3);
    expect(joined.snapshot.plan.status).toBe("approved");
    expect(joined.events.map((e) => e.type)).toEqual(["plan.submitted", "vote.cast", "plan.approved"]);
    expect(await database.query("SELECT count(*)::int AS n FROM plan_events WHERE plan_id = $1", [planId])).toEqual([{ n: 3 }]);
    await second.kill("SIGTERM");
  });

  it("is ready only while it holds its database connection: 503 once its connections are terminated, 200 once it reconnects", { timeout: 60_000 }, async () => {
    const server = await start(["--store", database.url]);
    await readyzUntil(server.url, 200, 5_000);
    // a query, so that the node has a connection open to lose
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    // New connections are refused until the test lets them in again, so the node stays cut off
    // however long the test takes to look (its probes fail meanwhile).
    await database.adminQuery(`ALTER DATABASE ${database.name} ALLOW_CONNECTIONS false`);
    const terminated = await database.adminQuery<{ t: boolean }>("SELECT pg_terminate_backend(pid) AS t FROM pg_stat_activity WHERE datname = $1", [database.name]);
    try {
      expect(terminated.filter((r) => r.t).length).toBeGreaterThan(0);
      const lost = await readyzUntil(server.url, 503, 5_000);
      expect(lost.reason).toMatch(/^the store refuses writes: the database connection was lost: /);
      // a probe ran and failed: the reason is now the refused connection
      const probed = async () => ((await (await fetch(`${server.url}/readyz`)).json()) as { reason?: string }).reason;
      await expect.poll(probed, { timeout: 10_000, interval: 100 }).toMatch(/is not currently accepting connections/);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
    } finally {
      await database.adminQuery(`ALTER DATABASE ${database.name} ALLOW_CONNECTIONS true`);
    }
    await readyzUntil(server.url, 200, 10_000);
    // the pool's error was a warning in the log, never a crash
    expect(server.output()).toMatch(/"level":"warn".*a connection to PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:5432\/planroom_test_[0-9a-f]+ failed: terminating connection due to administrator command/);
    expect(server.child.exitCode).toBeNull();
    // and it serves again: a query through a new connection
    expect(await (await fetch(`${server.url}/healthz`)).json()).toMatchObject({ ok: true, plans: expect.any(Number) });
    await server.kill("SIGTERM");
  });

  it("planroom migrate applies the schema of a fresh database once; a second time there is nothing to apply", { timeout: 60_000 }, async () => {
    const fresh = await createTestDatabase();
    try {
      const first = await runCli(["migrate", "--store", fresh.url]);
      expect(first.stderr).toBe("");
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(/^applied migrations 1 to \d+ \(postgres:\/\/postgres@127\.0\.0\.1:5432\/planroom_test_[0-9a-f]+\)\n$/);
      const versions = await fresh.query<{ version: number }>("SELECT version FROM planroom_migrations ORDER BY version");
      expect(first.stdout).toContain(`1 to ${versions.at(-1)?.version}`);
      const again = await runCli(["migrate"], { PLANROOM_DATABASE_URL: fresh.url });
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/^no migrations to apply/);
      const storeFile = join(dir, "store-only.json");
      await writeFile(storeFile, JSON.stringify({ store: fresh.url }));
      const fromFile = await runCli(["migrate", "--config", storeFile, "--json"]);
      expect(fromFile.code).toBe(0);
      expect(JSON.parse(fromFile.stdout)).toMatchObject({ applied: [] });
      expect(await fresh.query("SELECT version FROM planroom_migrations")).toHaveLength(versions.length);
      const help = await runCli(["migrate", "--help"]);
      expect(help.stdout).toContain("--store <url>");
      expect(help.stdout).toContain("PLANROOM_DATABASE_URL");
    } finally {
      await fresh.drop();
    }
  });

  it("refuses a store URL that is not PostgreSQL's at start with what it expected, exit 2, without printing its password", { timeout: 60_000 }, async () => {
    const runs = ["mysql://root:s3cret@db/planroom", "postgres:/x", "planroom"].flatMap((bad) => [
      runCli(["serve", "--config", configFile, "--store", bad]).then((run) => ({ bad, run })),
      runServe(["--config", configFile, "--store", bad]).then((run) => ({ bad, run })),
      runCli(["migrate", "--store", bad]).then((run) => ({ bad, run })),
    ]);
    for (const { bad, run } of await Promise.all(runs)) {
      expect(run.code, `${bad}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toContain("is not a PostgreSQL URL, postgres://user@host:5432/database (or postgresql://…)");
      expect(run.stderr).not.toContain("s3cret");
    }
    const missing = await runCli(["migrate"], { PLANROOM_DATABASE_URL: "", PLANROOM_CONFIG: "" });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no store to migrate: pass --store");
  });

  it("says which database it cannot reach: migrate exits 3, a node does not start", { timeout: 60_000 }, async () => {
    const unreachable = "postgres://postgres@127.0.0.1:1/planroom";
    const migrate = await runCli(["migrate", "--store", unreachable]);
    expect(migrate.code).toBe(3);
    expect(migrate.stderr).toMatch(/cannot reach PostgreSQL at 127\.0\.0\.1:1: connect ECONNREFUSED 127\.0\.0\.1:1/);
    const serve = await runServe(["--port", "0", "--config", configFile, "--store", unreachable]);
    expect(serve.code).toBe(1);
    expect(serve.stderr).toMatch(/the PostgreSQL store could not open: connect ECONNREFUSED 127\.0\.0\.1:1/);
  });
});
