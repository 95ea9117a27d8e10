import { describe, expect, it } from "vitest";
import { loadConfig, parseConfig } from "../../../server/app/config.js";

describe("observability settings", () => {
  it("parses metricsListen as host:port, IPv6 in brackets, and refuses anything else naming the key", () => {
    expect(parseConfig({ metricsListen: "127.0.0.1:9464" }).metricsListen).toEqual({ host: "127.0.0.1", port: 9464 });
    expect(parseConfig({ metricsListen: "[::1]:0" }).metricsListen).toEqual({ host: "::1", port: 0 });
    expect(parseConfig({}).metricsListen).toBeUndefined();
    for (const bad of ["9464", "localhost", "127.0.0.1:99999", "::1:9464", "host: 1"]) expect(() => parseConfig({ metricsListen: bad })).toThrow(/metricsListen/);
  });

  it("takes logFormat and logLevel from the file or the flags (flags win), and refuses unknown ones", async () => {
    expect(parseConfig({}).logLevel).toBe("info");
    expect(parseConfig({}).logFormat).toBeUndefined();
    const config = await loadConfig({ flags: { logFormat: "pretty", logLevel: "warn" } });
    expect([config.logFormat, config.logLevel]).toEqual(["pretty", "warn"]);
    expect(() => parseConfig({ logLevel: "loud" })).toThrow(/logLevel/);
    expect(() => parseConfig({ logFormat: "xml" })).toThrow(/logFormat/);
  });

  it("knows the metrics role in principals' roles", () => {
    const config = parseConfig({ principals: [{ id: "scraper", name: "Scraper", roles: ["metrics"], token: "scraper-token-0123456789" }] });
    expect(config.principals[0]?.roles).toEqual(["metrics"]);
  });
});
