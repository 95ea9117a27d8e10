import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { PrincipalConfig } from "../../../server/app/config.js";
import { metricValue, parseMetrics, type MetricSample } from "../../support/metrics-text.js";
import { chainPlan, useTestServer } from "../../support/planroom-test-kit.js";
import { TEST_PRINCIPALS, tokenOf } from "../../support/test-principals.js";

const SCRAPER: PrincipalConfig = { id: "scraper", name: "Scraper", roles: ["metrics"], token: "scraper-token-secret-1" };
const dirs: string[] = [];
// Registered first, so it runs after the servers are closed (afterEach hooks run last-registered first).
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
const scope = useTestServer();

/** A server on the file store (so store commits are timed), knowing the scraper too. */
async function start(options: Parameters<typeof scope.start>[0] = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), "planroom-metrics-"));
  dirs.push(dataDir);
  return scope.start({ store: undefined, dataDir, principals: [...TEST_PRINCIPALS, SCRAPER], tools: { t: () => 1 }, ...options });
}

async function scrape(url: string, token: string | undefined = SCRAPER.token): Promise<MetricSample[]> {
  const res = await fetch(`${url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain");
  return parseMetrics(await res.text());
}

describe("GET /metrics", () => {
  it("moves each counter by exactly what a run did: commands, events, steps, the decision, store commits", async () => {
    const server = await start();
    const agent = await scope.join("agent-1", {
      tools: { remote: () => ({ ok: true, result: "done" }) },
    });
    const reviewer = await scope.join("rev-1");
    const before = await scrape(server.url);
    expect(metricValue(before, "planroom_commands_total")).toBe(0);
    expect(metricValue(before, "planroom_sockets_connected")).toBe(2);

    const plan = chainPlan(["t", "t", "remote"]);
    const { planId } = await agent.ok("plan:submit", { plan, approval: { reviewers: ["rev-1"] }, tools: ["remote"] });
    await reviewer.ok("plan:join", { planId });
    const refused = await reviewer.cmd("plan:execute", { planId });
    expect(refused.ok).toBe(false);
    await reviewer.ok("plan:vote", { planId, version: 1, decision: "approve" });

    const during = await scrape(server.url);
    expect(metricValue(during, "planroom_plans", { status: "approved" })).toBe(1);
    expect(metricValue(during, "planroom_plans", { status: "executing" })).toBe(0);
    expect(metricValue(during, "planroom_rooms")).toBe(1);
    expect(metricValue(during, "planroom_room_members")).toBe(1);
    expect(metricValue(during, "planroom_approval_decision_seconds_count", { outcome: "approved" })).toBe(1);
    expect(metricValue(during, "planroom_step_duration_seconds_count")).toBe(0);

    await agent.ok("plan:execute", { planId });
    await reviewer.waitFor((e) => e.type === "plan.completed");
    const after = await scrape(server.url);
    const log = await server.store.readEvents(planId);

    expect(metricValue(after, "planroom_commands_total", { command: "plan:submit", code: "OK" })).toBe(1);
    expect(metricValue(after, "planroom_commands_total", { command: "plan:join", code: "OK" })).toBe(1);
    expect(metricValue(after, "planroom_commands_total", { command: "plan:vote", code: "OK" })).toBe(1);
    expect(metricValue(after, "planroom_commands_total", { command: "plan:execute", code: "OK" })).toBe(1);
    expect(metricValue(after, "planroom_commands_total", { command: "plan:execute", code: refused.ok ? "OK" : refused.error.code })).toBe(1);
    expect(metricValue(after, "planroom_commands_total")).toBe(5);
    expect(metricValue(after, "planroom_command_duration_seconds_count", { command: "plan:execute" })).toBe(2);
    expect(metricValue(after, "planroom_events_appended_total")).toBe(log.length);
    expect(metricValue(after, "planroom_events_appended_total", { type: "step.completed" })).toBe(3);
    expect(metricValue(after, "planroom_deliveries_total", { kind: "event" })).toBe(log.length);
    expect(metricValue(after, "planroom_step_duration_seconds_count")).toBe(3);
    expect(metricValue(after, "planroom_step_duration_seconds_count", { tool: "t", outcome: "completed" })).toBe(2);
    expect(metricValue(after, "planroom_step_duration_seconds_count", { tool: "remote", outcome: "completed" })).toBe(1);
    expect(metricValue(after, "planroom_approval_decision_seconds_count")).toBe(1);
    expect(metricValue(after, "planroom_remote_tool_calls_total", { outcome: "ok" })).toBe(1);
    expect(metricValue(after, "planroom_plans", { status: "completed" })).toBe(1);
    expect(metricValue(after, "planroom_plans")).toBe(1);
    const commits = metricValue(after, "planroom_store_commit_duration_seconds_count");
    expect(commits).toBeGreaterThanOrEqual(1);
    expect(commits).toBeLessThanOrEqual(log.length);
    expect(metricValue(after, "planroom_store_fdatasync_duration_seconds_count")).toBe(commits);
    expect(metricValue(after, "planroom_rate_limited_total")).toBe(0);
    // Node's default metrics, on this server's own registry.
    expect(after.some((s) => s.name === "nodejs_eventloop_lag_seconds")).toBe(true);
    expect(after.some((s) => s.name === "nodejs_heap_size_used_bytes")).toBe(true);
  });

  it("counts the commands the dispatch refuses with RATE_LIMITED", async () => {
    // A window of 2 / 0.1 = 20 s: nothing comes back during the test.
    const server = await start({ rateLimit: { burst: 2, perSecond: 0.1 } });
    const reviewer = await scope.join("rev-1");
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => reviewer.cmd("session:whoami", {})));
    const limited = answers.filter((a) => !a.ok && a.error.code === "RATE_LIMITED").length;
    expect(limited).toBe(3);
    const samples = await scrape(server.url);
    expect(metricValue(samples, "planroom_rate_limited_total")).toBe(limited);
    expect(metricValue(samples, "planroom_commands_total", { command: "session:whoami", code: "RATE_LIMITED" })).toBe(limited);
    expect(metricValue(samples, "planroom_commands_total", { command: "session:whoami", code: "OK" })).toBe(5 - limited);
  });

  it("needs a token of an admin or of the metrics role on the main port: 401 without one, 403 for others", async () => {
    const server = await start();
    const anonymous = await fetch(`${server.url}/metrics`);
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).error.code).toBe("UNAUTHENTICATED");
    const wrong = await fetch(`${server.url}/metrics`, { headers: { authorization: "Bearer not-a-known-token-at-all" } });
    expect(wrong.status).toBe(401);
    for (const who of ["rev-1", "agent-1", "obs"]) {
      const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${tokenOf(who)}` } });
      expect(res.status).toBe(403);
      expect((await res.json()).error.code).toBe("FORBIDDEN");
    }
    expect(metricValue(await scrape(server.url, tokenOf("root")), "planroom_sockets_connected")).toBe(0);
    expect(metricValue(await scrape(server.url, SCRAPER.token), "planroom_sockets_connected")).toBe(0);
  });

  it("serves metricsListen without a token, while the main port still requires one", async () => {
    const server = await start({ metricsListen: "127.0.0.1:0" });
    expect(server.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    await scope.join("rev-1");
    const res = await fetch(server.metricsUrl!);
    expect(res.status).toBe(200);
    expect(metricValue(parseMetrics(await res.text()), "planroom_sockets_connected")).toBe(1);
    expect((await fetch(server.metricsUrl!.replace(/\/metrics$/, "/api/plans"))).status).toBe(404);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
  });

  it("keeps each server's metrics apart in one process", async () => {
    const first = await start();
    const agent = await scope.join("agent-1");
    await agent.ok("session:whoami", {});
    const { startTestServer } = await import("../../support/planroom-test-kit.js");
    const second = await startTestServer({ principals: [...TEST_PRINCIPALS, SCRAPER] });
    try {
      expect(metricValue(await scrape(first.url), "planroom_commands_total")).toBe(1);
      expect(metricValue(await scrape(second.url), "planroom_commands_total")).toBe(0);
    } finally {
      await second.close();
    }
  });

  it("labels every series, the process metrics too, with its server's node id; two servers in one process have two", async () => {
    const first = await start();
    await scope.join("agent-1");
    const { startTestServer } = await import("../../support/planroom-test-kit.js");
    const second = await startTestServer({ principals: [...TEST_PRINCIPALS, SCRAPER] });
    try {
      expect(first.nodeId).toMatch(/^planroom-\d+-[0-9a-f]{8}$/);
      expect(second.nodeId).not.toBe(first.nodeId);
      for (const server of [first, second]) {
        const samples = await scrape(server.url);
        expect(samples.length).toBeGreaterThan(50);
        expect(samples.filter((s) => s.labels.node !== server.nodeId).map((s) => s.name)).toEqual([]);
        for (const name of ["planroom_sockets_connected", "planroom_plans", "planroom_store_commit_duration_seconds_count", "nodejs_eventloop_lag_seconds", "process_cpu_seconds_total"]) {
          expect(samples.some((s) => s.name === name), name).toBe(true);
        }
      }
      expect(metricValue(await scrape(first.url), "planroom_sockets_connected", { node: first.nodeId })).toBe(1);
      expect(metricValue(await scrape(second.url), "planroom_sockets_connected", { node: second.nodeId })).toBe(0);
    } finally {
      await second.close();
    }
  });
});
