import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { connect, PlanroomError, type PlanroomClient } from "../../client/index.js";
import { checkServerUrl } from "../../client/server-url.js";
import { MiniServer } from "../support/mini-server.js";

const clients: PlanroomClient[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const close of closers.splice(0)) await close();
});

function client(url: string, commandTimeoutMs = 10_000): PlanroomClient {
  const c = connect(url, { token: "ok", commandTimeoutMs, socketOptions: { reconnectionDelay: 50, reconnectionDelayMax: 100 } });
  clients.push(c);
  return c;
}

/** A port nothing listens on: one the system just handed out, closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A plain HTTP server that is no Planroom server. */
async function plainHttp(): Promise<string> {
  const server: Server = createServer((_req, res) => res.end("hello"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function failure(promise: Promise<unknown>): Promise<{ error: PlanroomError; ms: number }> {
  const started = Date.now();
  const error = await promise.then(
    () => expect.fail("the command should have failed"),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PlanroomError);
  return { error: error as PlanroomError, ms: Date.now() - started };
}

describe("a server the client cannot reach", () => {
  it("a command fails at once with UNREACHABLE and connection refused, not at its timeout", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const { error, ms } = await failure(client(url).whoami());
    expect(error.code).toBe("UNREACHABLE");
    expect(error.message).toBe(`cannot reach ${url}: connection refused (is the server running, on this host and port?)`);
    expect(ms).toBeLessThan(2_000);
  });

  it("https:// against a plain HTTP server says it is not speaking TLS", async () => {
    const url = `https://${await plainHttp()}`;
    const { error, ms } = await failure(client(url).whoami());
    expect(error.code).toBe("UNREACHABLE");
    expect(error.message).toBe(`cannot reach ${url}: the server is not speaking TLS (is it a plain HTTP server? try http://)`);
    expect(ms).toBeLessThan(2_000);
  });

  it("an HTTP server that is no Planroom server is named as such", async () => {
    const url = `http://${await plainHttp()}`;
    const { error } = await failure(client(url).whoami());
    expect(error.code).toBe("UNREACHABLE");
    expect(error.message).toMatch(/answered HTTP \d+ instead of a WebSocket handshake/);
  });

  it("a later command succeeds once the server is up, and a connected client's drop stays transparent", async () => {
    const server = new MiniServer();
    await server.start();
    const url = server.url;
    await server.stop();
    const c = client(url, 5_000);
    expect((await failure(c.whoami())).error.code).toBe("UNREACHABLE");
    await server.start();
    closers.push(() => server.stop());
    await expect.poll(() => c.whoami().then((p) => p.id, (e: PlanroomError) => e.code), { timeout: 5_000, interval: 50 }).toBe("agent-1");
    // Once connected, a restart is waited out: the command sent while down resolves, it does not fail fast.
    await server.stop();
    await expect.poll(() => c.connectionState, { timeout: 5_000, interval: 20 }).toBe("reconnecting");
    await new Promise((resolve) => setTimeout(resolve, 300)); // attempts are being refused now
    const pending = c.whoami();
    await server.start();
    await expect(pending).resolves.toMatchObject({ id: "agent-1" });
  });
});

describe("checkServerUrl", () => {
  it("accepts http:// and https:// URLs and drops trailing slashes", () => {
    expect(checkServerUrl("http://127.0.0.1:8080/")).toBe("http://127.0.0.1:8080");
    expect(checkServerUrl("HTTPS://planroom.lan")).toBe("HTTPS://planroom.lan");
  });
  it("refuses anything else with VALIDATION and a hint", () => {
    expect(() => checkServerUrl("localhost:8080")).toThrow(expect.objectContaining({ code: "VALIDATION", message: expect.stringContaining("did you mean http://localhost:8080?") }));
    expect(() => checkServerUrl("ws://h:1")).toThrow(/did you mean http:\/\/h:1\?/);
    expect(() => checkServerUrl("wss://h:1")).toThrow(/did you mean https:\/\/h:1\?/);
    expect(() => checkServerUrl("ftp://h")).toThrow(/not ftp:\/\//);
    expect(() => checkServerUrl("http://")).toThrow(/has no host/);
  });
  it("is applied by connect before anything is sent", () => {
    expect(() => connect("localhost:8080", { token: "t" })).toThrow(expect.objectContaining({ code: "VALIDATION" }));
  });
});
