import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { io as socketIo } from "socket.io-client";
import { loadConfig, parseConfig } from "../../../../server/app/config.js";
import { startForwardingProxy, type ForwardingProxy } from "../../../support/forwarding-proxy.js";
import { useRealServers } from "../../../support/real-server.js";
import { TOKENS } from "../../../support/test-principals.js";

const real = useRealServers();
const proxies: ForwardingProxy[] = [];
afterEach(async () => {
  for (const p of proxies.splice(0)) await p.close();
});

/** The proxy connects from 127.0.0.2; direct clients come from other loopback addresses. */
const PROXY_ADDRESS = "127.0.0.2";

async function proxied(options: Parameters<typeof real.server>[0] = {}): Promise<{ port: number; url: string; proxy: ForwardingProxy }> {
  const server = await real.server({ trustProxy: [PROXY_ADDRESS], authFailureLimit: { burst: 2, perMinute: 1 }, ...options });
  const proxy = await startForwardingProxy({ target: { host: "127.0.0.1", port: server.port }, localAddress: PROXY_ADDRESS });
  proxies.push(proxy);
  return { port: server.port, url: server.url, proxy };
}

/**
 * One Socket.IO handshake over WebSocket from `localAddress`: "connected", or the `connect_error`
 * message. `headers` go with the upgrade request.
 */
function handshake(url: string, token: string, localAddress: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve) => {
    const socket = socketIo(url, { transports: ["websocket"], reconnection: false, forceNew: true, auth: { token }, localAddress, extraHeaders: headers } as never);
    socket.on("connect", () => {
      socket.close();
      resolve("connected");
    });
    socket.on("connect_error", (error) => {
      socket.close();
      resolve(error.message);
    });
  });
}

/**
 * A long-polling handshake request from `localAddress`, which carries no token: 200 unless the
 * address it is counted under is blocked (403, `RATE_LIMITED`).
 */
function blockedProbe(url: string, localAddress: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/socket.io/?EIO=4&transport=polling`, { localAddress, headers, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("trustProxy: forwarded headers from trusted proxies only", () => {
  it("sends the TLS headers when a trusted proxy says X-Forwarded-Proto: https, and not for a forged one", async () => {
    const { url, proxy } = await proxied();
    const through = await fetch(`${proxy.url}/healthz`);
    expect(through.status).toBe(200);
    expect(through.headers.get("strict-transport-security")).toMatch(/max-age=\d+/);
    expect(through.headers.get("content-security-policy")).toContain("upgrade-insecure-requests");

    // A direct request from an untrusted peer, forging the proxy's header, is not believed.
    const forged = await fetch(`${url}/healthz`, { headers: { "x-forwarded-proto": "https" } });
    expect(forged.headers.get("strict-transport-security")).toBeNull();
    expect(forged.headers.get("content-security-policy")).not.toContain("upgrade-insecure-requests");
  });

  it("does not believe X-Forwarded-Proto from any peer when trustProxy is empty (the default)", async () => {
    const server = await real.server();
    const proxy = await startForwardingProxy({ target: { host: "127.0.0.1", port: server.port }, localAddress: PROXY_ADDRESS });
    proxies.push(proxy);
    const through = await fetch(`${proxy.url}/healthz`);
    expect(through.headers.get("strict-transport-security")).toBeNull();
  });

  it("counts failed authentications per forwarded client through a trusted proxy, and per peer otherwise", async () => {
    const { url, proxy } = await proxied();
    // Two clients behind the same proxy, over the WebSocket upgrade: the one that keeps failing is blocked, the other is not.
    expect(await handshake(proxy.url, "wrong-token-0000000000", "127.0.0.5")).toMatch(/^UNAUTHENTICATED/);
    expect(await handshake(proxy.url, "wrong-token-0000000000", "127.0.0.5")).toMatch(/^UNAUTHENTICATED/);
    expect(await blockedProbe(proxy.url, "127.0.0.5")).toMatchObject({ status: 403, body: expect.stringContaining("RATE_LIMITED") });
    expect(await handshake(proxy.url, "wrong-token-0000000000", "127.0.0.5")).not.toBe("connected");
    expect(await blockedProbe(proxy.url, "127.0.0.6")).toMatchObject({ status: 200 });
    expect(await handshake(proxy.url, "wrong-token-0000000000", "127.0.0.6")).toMatch(/^UNAUTHENTICATED/);
    expect(await handshake(proxy.url, TOKENS.agent, "127.0.0.6")).toBe("connected");

    // A direct, untrusted peer cannot escape its count by forging X-Forwarded-For.
    for (const forged of ["203.0.113.1", "203.0.113.2"]) {
      expect(await handshake(url, "wrong-token-0000000000", "127.0.0.7", { "x-forwarded-for": forged })).toMatch(/^UNAUTHENTICATED/);
    }
    expect(await blockedProbe(url, "127.0.0.7", { "x-forwarded-for": "203.0.113.3" })).toMatchObject({ status: 403, body: expect.stringContaining("RATE_LIMITED") });
  });
});

describe("trustProxy in the configuration", () => {
  it("takes addresses, CIDRs and Express's named ranges, and refuses anything else by name", async () => {
    expect(parseConfig({ trustProxy: ["127.0.0.1", "10.0.0.0/8", "fd00::/8", "192.168.0.0/255.255.0.0", "loopback", "uniquelocal"] }).trustProxy).toHaveLength(6);
    expect(parseConfig({}).trustProxy).toEqual([]);
    expect(() => parseConfig({ trustProxy: ["nginx.internal"] })).toThrow(/trustProxy\.0: "nginx\.internal" is not an IP address, a CIDR, or loopback, linklocal, uniquelocal/);
    expect(() => parseConfig({ trustProxy: ["10.0.0.0/33"] })).toThrow(/trustProxy\.0/);
    await expect(loadConfig({ env: {} })).resolves.toMatchObject({ trustProxy: [] });
  });
});
