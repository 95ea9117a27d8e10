import { describe, expect, it } from "vitest";
import { gracefulStop } from "../../../server/app/graceful-stop.js";
import type { Logger } from "../../../server/runtime/logger.js";

function recorder(): { log: Logger; lines: string[]; exits: number[]; exited: Promise<number>; exit: (code: number) => void } {
  const lines: string[] = [];
  const exits: number[] = [];
  let done: (code: number) => void = () => undefined;
  const exited = new Promise<number>((ok) => (done = ok));
  return { lines, exits, exited, log: { info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) }, exit: (code) => (exits.push(code), done(code)) };
}

describe("gracefulStop", () => {
  it("exits 0 once the close finished, and a second signal does not cut it short", async () => {
    const r = recorder();
    let finish: () => void = () => undefined;
    let closes = 0;
    const stop = gracefulStop({ close: () => (closes++, new Promise<void>((ok) => (finish = ok))), deadlineMs: 5_000, log: r.log, exit: r.exit });
    stop("SIGINT");
    stop("SIGINT");
    expect(closes).toBe(1);
    expect(r.exits).toEqual([]);
    finish();
    expect(await r.exited).toBe(0);
    expect(r.lines).toEqual(["SIGINT: shutting down", "SIGINT: already shutting down (at most 5000 ms in all)"]);
  });

  it("exits 1 with a message when the close has not finished by the deadline", async () => {
    const r = recorder();
    const stop = gracefulStop({ close: () => new Promise<void>(() => undefined), deadlineMs: 30, log: r.log, exit: r.exit });
    stop("SIGTERM");
    expect(await r.exited).toBe(1);
    expect(r.lines[1]).toMatch(/^shutdown did not finish within 30 ms/);
  });

  it("exits 1 when the close fails", async () => {
    const r = recorder();
    gracefulStop({ close: () => Promise.reject(new Error("disk gone")), deadlineMs: 5_000, log: r.log, exit: r.exit })("SIGTERM");
    expect(await r.exited).toBe(1);
    expect(r.lines).toContain("shutdown failed: Error: disk gone");
  });
});
