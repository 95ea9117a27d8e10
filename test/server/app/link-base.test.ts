import { describe, expect, it } from "vitest";
import { linkBase } from "../../../server/app/link-base.js";

const lan = { lo: [{ address: "127.0.0.1", family: "IPv4", internal: true }], eth0: [{ address: "fe80::1", family: "IPv6", internal: false }, { address: "192.168.1.20", family: "IPv4", internal: false }] } as unknown as Parameters<typeof linkBase>[2];

describe("linkBase: where printed links point", () => {
  it("keeps a concrete listen address and prefers a configured public URL, without its trailing slash", () => {
    expect(linkBase("http://127.0.0.1:8080", undefined, lan)).toBe("http://127.0.0.1:8080");
    expect(linkBase("http://0.0.0.0:8080", "https://planroom.example.com/", lan)).toBe("https://planroom.example.com");
  });

  it("turns a wildcard listen address into this machine's network address", () => {
    expect(linkBase("http://0.0.0.0:8080", undefined, lan)).toBe("http://192.168.1.20:8080");
    expect(linkBase("https://[::]:8443", undefined, lan)).toBe("https://192.168.1.20:8443");
    const v6only = { eth0: [{ address: "2001:db8::5", family: "IPv6", internal: false }] } as unknown as Parameters<typeof linkBase>[2];
    expect(linkBase("http://[::]:8080", undefined, v6only)).toBe("http://[2001:db8::5]:8080");
    expect(linkBase("http://0.0.0.0:8080", undefined, {})).toBe("http://127.0.0.1:8080");
  });
});
