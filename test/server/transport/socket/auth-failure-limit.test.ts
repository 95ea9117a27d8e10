import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { addressKey, AuthFailureLimiter } from "../../../../server/transport/socket/auth-failure-limit.js";
import { HandshakeOrigins } from "../../../../server/transport/socket/handshake-origin.js";

function limiter(config: Partial<ConstructorParameters<typeof AuthFailureLimiter>[0]> = {}) {
  let now = 1_000_000;
  const l = new AuthFailureLimiter({ burst: 5, perMinute: 60, maxAddresses: 100, ...config }, () => now);
  return { l, advance: (ms: number) => (now += ms) };
}

describe("AuthFailureLimiter", () => {
  it("lets an address fail `burst` times, then blocks it until the bucket refills at perMinute", () => {
    const { l, advance } = limiter();
    for (let i = 0; i < 4; i++) {
      l.fail("10.0.0.1");
      expect(l.retryAfterMs("10.0.0.1")).toBe(0);
    }
    l.fail("10.0.0.1");
    // 60 a minute: one failure back each second.
    expect(l.retryAfterMs("10.0.0.1")).toBe(1_000);
    expect(l.retryAfterMs("10.0.0.2")).toBe(0);
    advance(400);
    expect(l.retryAfterMs("10.0.0.1")).toBe(600);
    advance(600);
    expect(l.retryAfterMs("10.0.0.1")).toBe(0);
    // One more failure blocks it again at once (the bucket held one).
    l.fail("10.0.0.1");
    expect(l.retryAfterMs("10.0.0.1")).toBe(1_000);
  });

  it("counts only failures (successes never slow an address), and forgets an address once its bucket is full again", () => {
    const { l, advance } = limiter();
    l.fail("10.0.0.1");
    expect(l.size).toBe(1);
    advance(999);
    expect(l.retryAfterMs("10.0.0.1")).toBe(0);
    expect(l.size).toBe(1);
    advance(1);
    expect(l.retryAfterMs("10.0.0.1")).toBe(0);
    expect(l.size).toBe(0);
  });

  it("stays bounded: past maxAddresses the address that failed longest ago is forgotten", () => {
    const { l } = limiter({ maxAddresses: 3, burst: 1 });
    for (const a of ["a", "b", "c"]) l.fail(a);
    expect(["a", "b", "c"].map((a) => l.retryAfterMs(a) > 0)).toEqual([true, true, true]);
    l.fail("a"); // a failed last now: b is the oldest
    l.fail("d");
    expect(l.size).toBe(3);
    expect(l.retryAfterMs("b")).toBe(0);
    expect(["a", "c", "d"].map((x) => l.retryAfterMs(x) > 0)).toEqual([true, true, true]);
    for (let i = 0; i < 10_000; i++) l.fail(`flood-${i}`);
    expect(l.size).toBe(3);
  });
});

describe("addressKey", () => {
  it("keeps IPv4 (also IPv4-mapped) and groups IPv6 by /64", () => {
    expect(addressKey("127.0.0.1")).toBe("127.0.0.1");
    expect(addressKey("::ffff:127.0.0.1")).toBe("127.0.0.1");
    expect(addressKey("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:db8:1:2:bbbb:cccc:dddd:eeee")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(addressKey("::1")).toBe("0:0:0:0::/64");
    expect(addressKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(addressKey(undefined)).toBe("unknown");
  });
});

describe("HandshakeOrigins", () => {
  const req = (headers: Record<string, string>, encrypted = false) => ({ headers, socket: { encrypted } }) as unknown as IncomingMessage;

  it("allows no Origin, the request's own origin (any host name), and corsOrigins; refuses anything else", () => {
    const origins = new HandshakeOrigins(["https://app.example.com"]);
    expect(origins.allows(req({ host: "127.0.0.1:8080" }))).toBe(true);
    expect(origins.allows(req({ host: "planroom.test:8080", origin: "http://planroom.test:8080" }))).toBe(true);
    expect(origins.allows(req({ host: "PlanRoom.test", origin: "http://planroom.test:80" }))).toBe(true);
    expect(origins.allows(req({ host: "planroom.test", origin: "https://planroom.test" }, true))).toBe(true);
    expect(origins.allows(req({ host: "127.0.0.1:8080", origin: "https://app.example.com" }))).toBe(true);
    expect(origins.allows(req({ host: "127.0.0.1:8080", origin: "https://app.example.com:443" }))).toBe(true);

    expect(origins.allows(req({ host: "planroom.test:8080", origin: "http://evil.test" }))).toBe(false);
    expect(origins.allows(req({ host: "planroom.test:8080", origin: "http://planroom.test:8081" }))).toBe(false);
    // Same host, other scheme: not the same origin.
    expect(origins.allows(req({ host: "planroom.test", origin: "https://planroom.test" }))).toBe(false);
    expect(origins.allows(req({ host: "planroom.test", origin: "null" }))).toBe(false);
    expect(origins.allows(req({ host: "planroom.test", origin: "" }))).toBe(false);
    expect(origins.allows(req({ origin: "http://planroom.test" }))).toBe(false);
    expect(new HandshakeOrigins([]).allows(req({ host: "a.test", origin: "https://app.example.com" }))).toBe(false);
  });
});
