import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli-process.js";

/** A plain HTTP server (no Planroom), and a port nothing listens on. */
const plain = createServer((_req, res) => res.end("hello"));
let plainPort = 0;
let closedPort = 0;

beforeAll(async () => {
  await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", resolve));
  plainPort = (plain.address() as AddressInfo).port;
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
});
afterAll(() => new Promise<void>((resolve) => plain.close(() => resolve())));

const env = (url: string): Record<string, string> => ({ PLANROOM_URL: url, PLANROOM_TOKEN: "any-token-will-do-here" });

describe("planroom against a server it cannot reach", { timeout: 60_000 }, () => {
  it("a closed port fails at once with connection refused and exit 3, not after the 10 s timeout", async () => {
    const url = `http://127.0.0.1:${closedPort}`;
    const started = Date.now();
    const run = await runCli(["list"], env(url));
    const ms = Date.now() - started;
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`UNREACHABLE: cannot reach ${url}: connection refused`);
    expect(run.stderr).not.toContain("TIMEOUT");
    // The process itself takes about a second to start; the 10 s command timeout is not waited out.
    expect(ms).toBeLessThan(5_000);
  });

  it("https:// against a plain HTTP server says it is not speaking TLS; --json carries the code", async () => {
    const url = `https://127.0.0.1:${plainPort}`;
    const run = await runCli(["show", "p1", "--json"], env(url));
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stderr)).toEqual({ error: { code: "UNREACHABLE", message: `cannot reach ${url}: the server is not speaking TLS (is it a plain HTTP server? try http://)` } });
  });

  it("a URL without http:// or https:// is a usage error with a hint, before any connection", async () => {
    const run = await runCli(["list", "--url", `127.0.0.1:${plainPort}`], { PLANROOM_TOKEN: "any-token-will-do-here" });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`VALIDATION: server URL "127.0.0.1:${plainPort}" must start with http:// or https://: did you mean http://127.0.0.1:${plainPort}?`);
    const ws = await runCli(["list", "--json"], env(`ws://127.0.0.1:${plainPort}`));
    expect(ws.code).toBe(2);
    expect(JSON.parse(ws.stderr)).toMatchObject({ error: { code: "VALIDATION", message: expect.stringContaining(`did you mean http://127.0.0.1:${plainPort}?`) } });
  });
});
