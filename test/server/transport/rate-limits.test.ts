import { afterEach, describe, expect, it } from "vitest";
import { connect as connectSdk, type PlanroomClient } from "../../../client/index.js";
import { memoryRateBudget, type RateBudget } from "../../../server/transport/rate-budget.js";
import { metricValue, parseMetrics } from "../../support/metrics-text.js";
import { useTestServer, type TestClient } from "../../support/planroom-test-kit.js";
import { tokenOf } from "../../support/test-principals.js";

const scope = useTestServer();
const sdkClients: PlanroomClient[] = [];
afterEach(() => {
  for (const c of sdkClients.splice(0)) c.close();
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `n` `session:whoami` commands at once; how many went through and the refusals. */
async function whoamis(client: TestClient, n: number): Promise<{ ok: number; refused: { code: string; message: string }[] }> {
  const acks = await Promise.all(Array.from({ length: n }, () => client.cmd("session:whoami", {})));
  return { ok: acks.filter((a) => a.ok).length, refused: acks.flatMap((a) => (a.ok ? [] : [a.error])) };
}

/** `GET /api/plans` with `token` (none: no header). */
async function listPlans(url: string, token?: string): Promise<{ status: number; retryAfter: string | null; body: { ok: boolean; error?: { code: string; message: string } } }> {
  const res = await fetch(`${url}/api/plans`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body: (await res.json()) as never };
}

/**
 * One engine.io polling handshake without a bearer header (the budget is taken before any session
 * exists): "opened", or the refusal's message (HTTP 403 `{"code":4,"message":…}`).
 */
async function handshake(url: string): Promise<string> {
  const res = await fetch(`${url}/socket.io/?EIO=4&transport=polling`);
  const text = await res.text();
  if (res.status === 200) return "opened";
  return `${res.status} ${(JSON.parse(text) as { message: string }).message}`;
}

describe("rate limits per principal", () => {
  it("gives all the sockets of one principal one budget, and another principal its own", async () => {
    await scope.start({ rateLimit: { burst: 5, perSecond: 0.1 } });
    const first = await scope.join("agent-1");
    const second = await scope.join("agent-1");
    const a = await whoamis(first, 3);
    const b = await whoamis(second, 3);
    expect(a.ok + b.ok).toBe(5);
    const refused = [...a.refused, ...b.refused];
    expect(refused).toHaveLength(1);
    expect(refused[0]).toEqual({ code: "RATE_LIMITED", message: expect.stringMatching(/^too many requests from agent-1 .*: try again in \d+ s$/) });
    // A third socket brings no fresh budget.
    expect((await whoamis(await scope.join("agent-1"), 1)).ok).toBe(0);
    expect((await whoamis(await scope.join("rev-1"), 5)).ok).toBe(5);
  });

  it("shares the budget between a principal's sockets and its HTTP requests: 429 with Retry-After, the metrics count every refusal, health and metrics stay open", async () => {
    const server = await scope.start({ rateLimit: { burst: 4, perSecond: 0.1 } });
    const reviewer = await scope.join("rev-1");
    expect((await whoamis(reviewer, 2)).ok).toBe(2);
    expect((await listPlans(server.url, tokenOf("rev-1"))).status).toBe(200);
    expect((await listPlans(server.url, tokenOf("rev-1"))).status).toBe(200);
    const refused = await listPlans(server.url, tokenOf("rev-1"));
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(40);
    expect(refused.body).toEqual({ ok: false, error: { code: "RATE_LIMITED", message: expect.stringMatching(/^too many requests from rev-1 .*: try again in \d+ s$/) } });
    expect((await whoamis(reviewer, 1)).refused.map((e) => e.code)).toEqual(["RATE_LIMITED"]);
    expect((await listPlans(server.url, tokenOf("rev-2"))).status).toBe(200);

    // The admin spends its own budget; /metrics, /healthz and /readyz answer all the same.
    expect((await whoamis(await scope.join("root"), 5)).ok).toBe(4);
    for (const path of ["/healthz", "/readyz"]) expect((await fetch(`${server.url}${path}`)).status, path).toBe(200);
    const scrape = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${tokenOf("root")}` } });
    expect(scrape.status).toBe(200);
    // Two refused commands of rev-1, one HTTP request, one command of root.
    expect(metricValue(parseMetrics(await scrape.text()), "planroom_rate_limited_total")).toBe(3);
  });

  it("gives the budget back once its window has passed", async () => {
    // Windows of 2 / 10 = 0.2 s.
    await scope.start({ rateLimit: { burst: 2, perSecond: 10 } });
    const agent = await scope.join("agent-1");
    const spent = await whoamis(agent, 3);
    expect(spent.ok).toBe(2);
    expect(spent.refused[0]?.message).toMatch(/try again in \d+ ms$/);
    await sleep(300);
    expect((await whoamis(agent, 2)).ok).toBe(2);
  });
});

describe("rate limits per address before authentication", () => {
  it("counts handshakes and HTTP requests without a valid token per address; a valid bearer token takes its principal's budget instead", async () => {
    const server = await scope.start({ handshakeLimit: { burst: 3, perSecond: 0.1 } });
    expect(await handshake(server.url)).toBe("opened");
    expect((await listPlans(server.url)).status).toBe(401);
    expect((await listPlans(server.url, "not-a-valid-token-at-all")).status).toBe(401);
    // The address's three are spent: the next of either kind is refused, even a handshake that would send a good token in `auth`.
    const refused = await listPlans(server.url);
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(refused.body.error).toEqual({ code: "RATE_LIMITED", message: expect.stringMatching(/^too many requests without a valid token from this address: try again in \d+ s$/) });
    expect(await handshake(server.url)).toMatch(/^403 RATE_LIMITED: too many connection attempts and unauthenticated requests from this address; try again in \d+ s$/);
    // Requests that authenticate by header are their principal's: the same address still gets in.
    expect((await listPlans(server.url, tokenOf("rev-1"))).status).toBe(200);
    const sdk = connectSdk(server.url, { token: tokenOf("rev-2"), commandTimeoutMs: 5_000, socketOptions: { reconnection: false } });
    sdkClients.push(sdk);
    expect((await sdk.whoami()).id).toBe("rev-2");
  });

  it("lets the address in again after its window", async () => {
    // Windows of 2 / 10 = 0.2 s.
    const server = await scope.start({ handshakeLimit: { burst: 2, perSecond: 10 } });
    expect(await handshake(server.url)).toBe("opened");
    expect(await handshake(server.url)).toBe("opened");
    expect(await handshake(server.url)).toMatch(/^403 RATE_LIMITED: .* try again in \d+ ms$/);
    await sleep(300);
    expect(await handshake(server.url)).toBe("opened");
  });
});

describe("an injected rate budget", () => {
  it("is the one the server consumes from, by principal and by address; a failing backend answers INTERNAL, not a pass", async () => {
    const keys: string[] = [];
    let failing = false;
    const recording = (inner: RateBudget): RateBudget => ({
      consume: (key) => {
        keys.push(key);
        return failing ? Promise.reject(new Error("backend down")) : inner.consume(key);
      },
    });
    const server = await scope.start({ rateBudgets: { principals: recording(memoryRateBudget({ burst: 100, perSecond: 100 })), addresses: recording(memoryRateBudget({ burst: 100, perSecond: 100 })) } });
    const agent = await scope.join("agent-1");
    await agent.ok("session:whoami", {});
    expect((await listPlans(server.url, tokenOf("rev-1"))).status).toBe(200);
    expect((await listPlans(server.url)).status).toBe(401);
    expect(keys).toEqual(["address:127.0.0.1", "principal:agent-1", "principal:rev-1", "address:127.0.0.1"]);
    failing = true;
    expect(await agent.cmd("session:whoami", {})).toEqual({ ok: false, error: { code: "INTERNAL", message: "internal error" } });
    expect((await listPlans(server.url, tokenOf("rev-1"))).status).toBe(500);
    expect(await handshake(server.url)).toMatch(/^403 INTERNAL: /);
  });
});

describe("memoryRateBudget", () => {
  it("answers ok within the burst, then the wait until its window ends", async () => {
    const budget = memoryRateBudget({ burst: 2, perSecond: 1 });
    expect(await budget.consume("k")).toEqual({ ok: true });
    expect(await budget.consume("k")).toEqual({ ok: true });
    const refused = await budget.consume("k");
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.retryAfterMs).toBeGreaterThan(1_000);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(2_000);
    }
    expect(await budget.consume("other")).toEqual({ ok: true });
  });
});
