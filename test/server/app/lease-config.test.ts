import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../server/app/config.js";

describe("lease configuration", () => {
  it("defaults to a 15 s TTL, renewed every 5 s, swept every 1 s", () => {
    expect(parseConfig({}).lease).toEqual({ ttlMs: 15_000, renewMs: 5_000, sweepMs: 1_000 });
    expect(parseConfig({ lease: { ttlMs: 600, renewMs: 150, sweepMs: 50 } }).lease).toEqual({ ttlMs: 600, renewMs: 150, sweepMs: 50 });
  });

  it("refuses a renewal interval of half the TTL or more, naming both", () => {
    expect(() => parseConfig({ lease: { ttlMs: 1_000, renewMs: 500 } })).toThrow(/lease\.renewMs \(500\) must be less than half of lease\.ttlMs \(1000\)/);
    expect(() => parseConfig({ lease: { renewMs: 8_000 } })).toThrow(/must be less than half of lease\.ttlMs \(15000\)/);
  });

  it("refuses unknown keys and values that are not whole positive milliseconds, as VALIDATION", () => {
    for (const lease of [{ ttl: 5 }, { ttlMs: -1 }, { sweepMs: 0 }, { renewMs: 1.5 }, { ttlMs: "15s" }]) {
      expect(() => parseConfig({ lease })).toThrow(expect.objectContaining({ code: "VALIDATION", message: expect.stringContaining("lease") }));
    }
  });
});
