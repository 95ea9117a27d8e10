import { describe, expect, it } from "vitest";
import { ConnectionHealth, isConnectionError } from "../../../../server/store/postgres/connection-health.js";

/** A probe the test answers by hand, a clock it moves, and the background timer it fires. */
function rig() {
  let now = 0;
  const probes: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const timer: { tick?: () => void; stops: number } = { stops: 0 };
  const health = new ConnectionHealth({
    probe: () => new Promise<void>((resolve, reject) => probes.push({ resolve, reject })),
    now: () => now,
    intervalMs: 1_000,
    every: (_ms, tick) => {
      timer.tick = tick;
      return () => {
        timer.tick = undefined;
        timer.stops++;
      };
    },
  });
  return { health, probes, timer, advance: (ms: number) => (now += ms) };
}

const terminated = Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" });
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("ConnectionHealth", () => {
  it("is writable until a connection error, then says why and probes at most once per interval until a probe answers", async () => {
    const { health, probes, timer, advance } = rig();
    expect(health.health()).toEqual({ writable: true });
    health.lost(terminated);
    expect(health.health()).toEqual({ writable: false, reason: "the database connection was lost: terminating connection due to administrator command" });
    // the first probe waits one interval
    advance(999);
    health.health();
    expect(probes).toHaveLength(0);
    advance(1);
    health.health();
    health.health();
    expect(probes).toHaveLength(1);
    probes[0]!.reject(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }));
    await settle();
    expect(health.health()).toEqual({ writable: false, reason: "the database connection was lost: connect ECONNREFUSED 127.0.0.1:5432" });
    expect(probes).toHaveLength(1);
    // the background timer probes too, on the same spacing
    advance(1_000);
    timer.tick?.();
    timer.tick?.();
    expect(probes).toHaveLength(2);
    probes[1]!.resolve();
    await settle();
    expect(health.health()).toEqual({ writable: true });
    expect(timer.tick).toBeUndefined();
    expect(timer.stops).toBe(1);
  });

  it("stays lost when the connection is lost again while a probe is on its way", async () => {
    const { health, probes, advance } = rig();
    health.lost(terminated);
    advance(1_000);
    health.health();
    health.lost(new Error("Connection terminated unexpectedly"));
    probes[0]!.resolve();
    await settle();
    expect(health.health()).toEqual({ writable: false, reason: "the database connection was lost: Connection terminated unexpectedly" });
    advance(1_000);
    health.health();
    probes[1]!.resolve();
    await settle();
    expect(health.health()).toEqual({ writable: true });
  });

  it("counts only connection errors as a lost connection, not a statement's own error", () => {
    const { health } = rig();
    health.failed(Object.assign(new Error('relation "nope" does not exist'), { code: "42P01" }));
    health.failed(Object.assign(new Error("duplicate key value violates unique constraint"), { code: "23505" }));
    expect(health.health()).toEqual({ writable: true });
    health.failed(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }));
    expect(health.health().writable).toBe(false);
  });

  it("recognises the ways a connection ends", () => {
    expect(isConnectionError(terminated)).toBe(true);
    expect(isConnectionError(Object.assign(new Error("the database system is shutting down"), { code: "57P03" }))).toBe(true);
    expect(isConnectionError(Object.assign(new Error("connection failure"), { code: "08006" }))).toBe(true);
    expect(isConnectionError(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isConnectionError(new Error("timeout exceeded when trying to connect"))).toBe(true);
    expect(isConnectionError(Object.assign(new Error("canceling statement due to statement timeout"), { code: "57014" }))).toBe(false);
    expect(isConnectionError("ECONNRESET")).toBe(false);
  });
});
