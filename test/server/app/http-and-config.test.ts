import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { io as connectClient } from "socket.io-client";
import { describe, expect, it } from "vitest";
import { loadConfig, parseConfig } from "../../../server/app/config.js";
import { createDevPrincipals, hashToken, PrincipalRegistry } from "../../../server/auth/principals.js";
import { createMemoryStore } from "../../../server/store/memory-store.js";
import { chainPlan, startTestServer, useTestServer } from "../../support/planroom-test-kit.js";
import { tokenOf } from "../../support/test-principals.js";

const scope = useTestServer();

describe("HTTP API", () => {
  it("serves /healthz, and /api/plans with bearer auth and the sockets' visibility", async () => {
    const server = await scope.start({ tools: { t: () => 1 } });
    const agent = await scope.join("agent-1");
    const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["t"]), approval: { reviewers: ["rev-1"] } });

    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true, node: server.nodeId, plans: 1 });
    expect(health.headers.get("content-security-policy")).toContain("connect-src 'self' ws: wss:");
    expect(health.headers.get("x-content-type-options")).toBe("nosniff");

    const anon = await fetch(`${server.url}/api/plans`);
    expect(anon.status).toBe(401);
    expect((await anon.json()).error.code).toBe("UNAUTHENTICATED");

    const get = (path: string, who: string) => fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${tokenOf(who)}` } });
    const list = await (await get("/api/plans", "rev-1")).json();
    expect(list.plans.map((p: { id: string }) => p.id)).toEqual([planId]);
    expect((await (await get("/api/plans", "rev-2")).json()).plans).toEqual([]);

    const one = await get(`/api/plans/${planId}`, "rev-1");
    const body = await one.json();
    expect(body.formatted).toContain("Plan: test plan");
    expect(body.events.map((e: { type: string }) => e.type)).toEqual(["plan.submitted"]);
    expect((await get(`/api/plans/${planId}`, "rev-2")).status).toBe(403);
    expect((await get(`/api/plans/nope`, "rev-1")).status).toBe(404);
  });

  it("pages a plan's events: at most 1,000 an answer, with nextAfterSeq for the rest", async () => {
    const server = await scope.start({ tools: { t: () => 1 }, maxHttpBufferSize: 1_000_000 });
    const agent = await scope.join("agent-1");
    const reviewer = await scope.join("rev-1");
    const steps = Array.from({ length: 600 }, (_, i) => ({ id: `s${i}`, tool: "t", params: {} }));
    const { planId } = await agent.ok("plan:submit", { plan: { description: "many events", options: { allowParallel: true }, steps }, autoExecute: true });
    await reviewer.ok("plan:join", { planId });
    await reviewer.ok("plan:vote", { planId, version: 1, decision: "approve" });
    const end = await reviewer.waitFor((e) => e.type === "plan.completed");
    const get = (query: string) => fetch(`${server.url}/api/plans/${planId}${query}`, { headers: { authorization: `Bearer ${tokenOf("rev-1")}` } }).then((r) => r.json());
    const first = await get("");
    expect(first.events).toHaveLength(1_000);
    expect(first.events[0].seq).toBe(1);
    expect(first.nextAfterSeq).toBe(1_000);
    const rest = await get(`?afterSeq=${first.nextAfterSeq}`);
    expect(rest.events[0].seq).toBe(1_001);
    expect(rest.events.at(-1).seq).toBe(end.seq);
    expect(rest.nextAfterSeq).toBeUndefined();
    expect((await get("?afterSeq=10&limit=5")).events.map((e: { seq: number }) => e.seq)).toEqual([11, 12, 13, 14, 15]);
  });

  it("serves Socket.IO's long-polling transport beside the HTTP API", async () => {
    const server = await scope.start();
    const socket = connectClient(server.url, { auth: { token: tokenOf("rev-1") }, transports: ["polling"], reconnection: false, forceNew: true });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once("connect", resolve);
        socket.once("connect_error", reject);
      });
      const ack = await socket.timeout(5_000).emitWithAck("session:whoami", {});
      expect(ack).toMatchObject({ ok: true, principal: { id: "rev-1" } });
      expect(socket.io.engine.transport.name).toBe("polling");
    } finally {
      socket.close();
    }
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it("pages plans:list with a cursor and filters by status and submitter", async () => {
    await scope.start({ tools: { t: () => 1 } });
    const a1 = await scope.join("agent-1");
    const a2 = await scope.join("agent-2");
    const obs = await scope.join("obs");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await (i % 2 ? a2 : a1).ok("plan:submit", { plan: chainPlan(["t"]) })).planId);
    await a1.ok("plan:cancel", { planId: ids[0] as string });
    const pages: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await obs.ok("plans:list", { limit: 2, ...(cursor ? { cursor } : {}) });
      pages.push(...page.plans.map((p) => p.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages.sort()).toEqual([...ids].sort());
    expect((await obs.ok("plans:list", { submittedBy: "agent-2" })).plans).toHaveLength(2);
    expect((await obs.ok("plans:list", { status: "cancelled" })).plans.map((p) => p.id)).toEqual([ids[0]]);
    const bad = await obs.cmd("plans:list", { cursor: "garbage" });
    expect(!bad.ok && bad.error.code).toBe("VALIDATION");
  });

  it("allows the configured CORS origins only", async () => {
    const server = await scope.start({ corsOrigins: ["https://review.example"] });
    const allowed = await fetch(`${server.url}/healthz`, { headers: { origin: "https://review.example" } });
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://review.example");
    const other = await fetch(`${server.url}/healthz`, { headers: { origin: "https://evil.example" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("configuration and principals", () => {
  it("validates with clear messages and merges file < environment < flags", async () => {
    expect(() => parseConfig({ port: 70_000, principals: [{ id: "x", name: "X", roles: ["boss"], token: "short" }] })).toThrow(/port[\s\S]*principals\.0\.roles\.0[\s\S]*principals\.0\.token/);
    expect(() => parseConfig({ port: "abc" })).toThrow(/port: port must be a whole number from 0 to 65535/);
    const dir = await mkdtemp(join(tmpdir(), "planroom-config-"));
    try {
      const file = join(dir, "config.json");
      await writeFile(file, JSON.stringify({ host: "0.0.0.0", port: 1000, dataDir: "/from-file" }));
      const config = await loadConfig({ flags: { config: file, port: "3000" }, env: { PLANROOM_PORT: "2000", PLANROOM_DATA: "/from-env" } });
      expect(config).toMatchObject({ host: "0.0.0.0", port: 3000, dataDir: "/from-env" });
      await writeFile(file, "{ nope");
      await expect(loadConfig({ flags: { config: file } })).rejects.toThrow(/not valid JSON/);
      await expect(loadConfig({ flags: { config: join(dir, "missing.json") } })).rejects.toThrow(/cannot read config file/);
      expect(await loadConfig({})).toMatchObject({ host: "127.0.0.1", port: 8080, dataDir: "./data", maxHttpBufferSize: 4_265_536 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("defaults the rate limits per principal and per address, and refuses unknown or out-of-range settings", () => {
    expect(parseConfig({})).toMatchObject({ rateLimit: { burst: 200, perSecond: 100 }, handshakeLimit: { burst: 300, perSecond: 50 } });
    expect(parseConfig({ handshakeLimit: { burst: 10 } }).handshakeLimit).toEqual({ burst: 10, perSecond: 50 });
    expect(() => parseConfig({ handshakeLimit: { burst: 0 } })).toThrow(/handshakeLimit\.burst/);
    expect(() => parseConfig({ rateLimit: { perSecond: 0 } })).toThrow(/rateLimit\.perSecond/);
    expect(() => parseConfig({ rateLimit: { burts: 10 } })).toThrow(/rateLimit[\s\S]*burts/);
  });

  it("accepts plain tokens and SHA-256 hashes, and refuses unknown ones", () => {
    const registry = new PrincipalRegistry([
      { id: "a", name: "A", roles: ["agent"], token: "plain-token-plain-token" },
      { id: "b", name: "B", roles: ["reviewer"], token: `sha256:${hashToken("hashed-token-hashed")}` },
    ]);
    expect(registry.authenticate("plain-token-plain-token")?.id).toBe("a");
    expect(registry.authenticate("hashed-token-hashed")?.id).toBe("b");
    expect(registry.authenticate(`sha256:${hashToken("hashed-token-hashed")}`)).toBeUndefined();
    expect(registry.authenticate("nope")).toBeUndefined();
    expect(registry.authenticate(42)).toBeUndefined();
  });

  it("generates a development set once, stores it, and reuses it on the next start", async () => {
    expect(createDevPrincipals().map((p) => p.roles[0])).toEqual(["agent", "reviewer", "reviewer", "reviewer", "observer"]);
    const store = createMemoryStore();
    const first = await startTestServer({ store, principals: [] });
    const tokens = first.devPrincipals.map((p) => p.token);
    expect(tokens).toHaveLength(5);
    await first.close();
    const server = await scope.start({ store, principals: [] });
    expect(server.devPrincipals.map((p) => p.token)).toEqual(tokens);
  });
});
