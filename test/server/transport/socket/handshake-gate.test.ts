import { Agent, request, type IncomingHttpHeaders } from "node:http";
import type { LookupFunction } from "node:net";
import { io as connectClient, Manager, type Socket } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";
import { connect as connectSdk, type PlanroomClient } from "../../../../client/index.js";
import type { PlanroomServer } from "../../../../server/app/create-server.js";
import { ManualClock } from "../../../support/manual-clock.js";
import { startTestServer } from "../../../support/planroom-test-kit.js";
import { tokenOf } from "../../../support/test-principals.js";

type Transport = "websocket" | "polling";

let server: PlanroomServer | undefined;
const sockets: Socket[] = [];
const sdkClients: PlanroomClient[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  for (const c of sdkClients.splice(0)) c.close();
  await server?.close();
  server = undefined;
});

interface Attempt {
  socket: Socket;
  /** The connect_error, if the handshake was refused. */
  error?: Error & { description?: unknown };
}

/** One Socket.IO handshake (no reconnection); resolves once it is connected or refused. */
function attempt(url: string, opts: { token?: string; transport: Transport; headers?: Record<string, string>; agent?: Agent }): Promise<Attempt> {
  const socket = connectClient(url, {
    auth: { token: opts.token ?? "not-a-valid-token-at-all" },
    transports: [opts.transport],
    reconnection: false,
    forceNew: true,
    timeout: 5_000,
    ...(opts.headers ? { extraHeaders: opts.headers } : {}),
    ...(opts.agent ? { agent: opts.agent as never } : {}),
  });
  sockets.push(socket);
  return new Promise((resolve) => {
    socket.once("connect", () => resolve({ socket }));
    socket.once("connect_error", (error) => resolve({ socket, error }));
  });
}

/** A bare engine.io polling handshake (`GET /socket.io/?EIO=4&transport=polling`): status and body. */
function pollingHandshake(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/socket.io/?EIO=4&transport=polling`, { headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** One plain HTTP request: status and body. */
function httpText(method: "GET" | "POST", url: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: body === undefined ? {} : { "content-type": "text/plain;charset=UTF-8" } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** A bare WebSocket upgrade request: 101 when accepted, else the status and body of the refusal. */
function websocketHandshake(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/socket.io/?EIO=4&transport=websocket`, {
      headers: { connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": Buffer.alloc(16, 7).toString("base64"), ...headers },
    });
    req.on("upgrade", (_res, socket) => {
      socket.destroy();
      resolve({ status: 101, body: "" });
    });
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

function sdk(url: string, id: string, transport: Transport): PlanroomClient {
  const c = connectSdk(url, { token: tokenOf(id), commandTimeoutMs: 5_000, socketOptions: { transports: [transport], reconnection: false } });
  sdkClients.push(c);
  return c;
}

describe("failed authentications per address", () => {
  it("after a burst of bad tokens the address is refused before any token work (RATE_LIMITED), while a client with a valid bearer token still gets in", async () => {
    const clock = new ManualClock();
    server = await startTestServer({ clock, authFailureLimit: { burst: 5, perMinute: 60 } });
    const url = server.url;
    const refusedBeforeSession: string[] = [];
    server.io.engine.on("connection_error", (e: { code: number; context?: { message?: string } }) => {
      if (e.code === 4) refusedBeforeSession.push(String(e.context?.message));
    });

    // A flood of bad handshakes, 10 at a time, over both transports.
    const outcomes: Attempt[] = [];
    for (let batch = 0; batch < 6; batch++) {
      outcomes.push(...(await Promise.all(Array.from({ length: 10 }, (_, i) => attempt(url, { transport: i % 2 === 0 ? "websocket" : "polling" })))));
    }
    expect(outcomes.every((o) => o.error !== undefined)).toBe(true);
    const messages = outcomes.map((o) => o.error?.message ?? "");
    // Exactly `burst` tokens were looked at; every later handshake was refused without one.
    expect(messages.filter((m) => m.startsWith("UNAUTHENTICATED"))).toHaveLength(5);
    // Most were refused by allowRequest, before engine.io opened a session for them ...
    expect(refusedBeforeSession.length).toBeGreaterThanOrEqual(40);
    for (const m of refusedBeforeSession) expect(m).toMatch(/^RATE_LIMITED: too many failed authentications from this address; try again in \d+ s$/);
    // ... which socket.io-client reports as a transport error (polling: HTTP 403); the response carries the code.
    const polled = outcomes.find((o) => o.error?.message === "xhr poll error");
    expect(polled?.error?.description).toBe(403);
    expect(await pollingHandshake(url)).toMatchObject({ status: 403, body: expect.stringMatching(/^\{"code":4,"message":"RATE_LIMITED: too many failed authentications/) });
    expect(await websocketHandshake(url)).toMatchObject({ status: 400, body: expect.stringMatching(/^RATE_LIMITED: /) });

    // A good client on the same address: the SDK sends its token as a bearer header too, so it gets in over both transports.
    for (const transport of ["websocket", "polling"] as const) {
      expect(await sdk(url, "rev-1", transport).whoami()).toMatchObject({ id: "rev-1" });
    }
    // One that sends the token only in `auth` shares the address's fate (documented) ...
    const authOnly = await attempt(url, { token: tokenOf("rev-2"), transport: "websocket" });
    expect(authOnly.error).toBeDefined();
    // ... and a bearer header that does not authenticate is refused (and counted) like no header.
    expect(await websocketHandshake(url, { authorization: "Bearer not-a-valid-token-either" })).toMatchObject({ status: 400, body: expect.stringMatching(/^RATE_LIMITED: /) });
    expect(await websocketHandshake(url, { authorization: `Bearer ${tokenOf("rev-2")}` })).toMatchObject({ status: 101 });

    // The bucket refills at perMinute (one a second): after a while the address may try again.
    await clock.advance(10_000);
    expect((await attempt(url, { token: tokenOf("rev-2"), transport: "websocket" })).error).toBeUndefined();
  });

  it("sessions opened before the address was blocked cannot go on trying tokens: the middleware refuses them without one", async () => {
    const clock = new ManualClock();
    server = await startTestServer({ clock, authFailureLimit: { burst: 3, perMinute: 1 } });
    // Ten engine.io sessions first, while the address is not blocked yet; then a bad token on each.
    const managers = Array.from({ length: 10 }, () => new Manager((server as PlanroomServer).url, { transports: ["websocket"], reconnection: false, autoConnect: false }));
    await Promise.all(managers.map((m) => new Promise<void>((resolve, reject) => m.open((e) => (e ? reject(e) : resolve())))));
    const messages = await Promise.all(
      managers.map((m) => {
        const socket = m.socket("/", { auth: { token: "not-a-valid-token-at-all" } });
        sockets.push(socket);
        socket.connect();
        return new Promise<string>((resolve) => {
          socket.once("connect", () => resolve("connected"));
          socket.once("connect_error", (e) => resolve(e.message));
        });
      }),
    );
    expect(messages.filter((m) => m.startsWith("UNAUTHENTICATED"))).toHaveLength(3);
    expect(messages.filter((m) => m.startsWith("RATE_LIMITED: too many failed authentications from this address; try again in 60 s"))).toHaveLength(7);
  });

  it("a refused handshake ends its engine.io session: one connection cannot go on trying tokens", async () => {
    server = await startTestServer();
    const base = `${server.url}/socket.io/?EIO=4&transport=polling`;
    const open = await httpText("GET", base);
    const sid = (JSON.parse(open.body.slice(1)) as { sid: string }).sid;
    expect(await httpText("POST", `${base}&sid=${sid}`, '40{"token":"not-a-valid-token-at-all"}')).toMatchObject({ status: 200 });
    expect((await httpText("GET", `${base}&sid=${sid}`)).body).toMatch(/^44\{"message":"UNAUTHENTICATED: /);
    // The server closes the session after the refusal: a second try on it is dropped unread (no
    // second refusal comes back, only the close packet), and then the session is gone.
    await httpText("POST", `${base}&sid=${sid}`, '40{"token":"another-bad-token-here"}');
    const packets = (await httpText("GET", `${base}&sid=${sid}`)).body.split("\x1e");
    expect(packets.at(-1)).toBe("1");
    expect(packets.filter((p) => p.startsWith("4"))).toEqual([]);
    expect((await httpText("POST", `${base}&sid=${sid}`, '40{"token":"a-third-bad-token-here"}')).status).toBe(400);
    expect(server.io.engine.clientsCount).toBe(0);
  });
});

describe("the Origin of a Socket.IO handshake", () => {
  it("refuses a foreign Origin over both transports when corsOrigins is empty; connects without one", async () => {
    server = await startTestServer();
    const url = server.url;
    const refusals: string[] = [];
    server.io.engine.on("connection_error", (e: { code: number; context?: { message?: string } }) => {
      if (e.code === 4) refusals.push(String(e.context?.message));
    });
    for (const transport of ["websocket", "polling"] as const) {
      const foreign = await attempt(url, { token: tokenOf("rev-1"), transport, headers: { origin: "http://evil.test" } });
      expect(foreign.error, transport).toBeDefined();
      const plain = await attempt(url, { token: tokenOf("rev-1"), transport });
      expect(plain.error, transport).toBeUndefined();
    }
    expect(refusals).toHaveLength(2);
    for (const m of refusals) expect(m).toMatch(/^FORBIDDEN: this origin may not open a Socket.IO connection/);
    expect(await pollingHandshake(url, { origin: "http://evil.test" })).toMatchObject({ status: 403, body: expect.stringMatching(/"message":"FORBIDDEN: /) });
    expect(await websocketHandshake(url, { origin: "http://evil.test" })).toMatchObject({ status: 400, body: expect.stringMatching(/^FORBIDDEN: /) });
    expect(await websocketHandshake(url)).toMatchObject({ status: 101 });
  });

  it("accepts an Origin listed in corsOrigins over both transports (and the header really reaches the server)", async () => {
    server = await startTestServer({ corsOrigins: ["http://allowed.test"] });
    const seen: (string | undefined)[] = [];
    server.io.on("connection", (s) => seen.push(s.handshake.headers.origin));
    for (const transport of ["websocket", "polling"] as const) {
      expect((await attempt(server.url, { token: tokenOf("rev-1"), transport, headers: { origin: "http://allowed.test" } })).error, transport).toBeUndefined();
      expect((await attempt(server.url, { token: tokenOf("rev-1"), transport, headers: { origin: "http://other.test" } })).error, transport).toBeDefined();
    }
    expect(seen).toEqual(["http://allowed.test", "http://allowed.test"]);
  });

  it("accepts the dashboard's same-origin handshake under a non-localhost host name, over both transports", async () => {
    server = await startTestServer();
    const port = server.port;
    const toLoopback: LookupFunction = (_host, options, callback) => {
      if (options.all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: "127.0.0.1", family: 4 }]);
      else callback(null, "127.0.0.1", 4);
    };
    const agent = new Agent({ lookup: toLoopback });
    const dashboard = `http://planroom.test:${port}`;
    const seen: IncomingHttpHeaders[] = [];
    server.io.on("connection", (s) => seen.push(s.handshake.headers));
    for (const transport of ["websocket", "polling"] as const) {
      const same = await attempt(dashboard, { token: tokenOf("obs"), transport, agent, headers: { origin: dashboard } });
      expect(same.error, transport).toBeUndefined();
      // The same Origin sent to the server under another host name is a foreign one.
      const cross = await attempt(`http://127.0.0.1:${port}`, { token: tokenOf("obs"), transport, headers: { origin: dashboard } });
      expect(cross.error, transport).toBeDefined();
    }
    expect(seen.map((h) => [h.host, h.origin])).toEqual([
      [`planroom.test:${port}`, dashboard],
      [`planroom.test:${port}`, dashboard],
    ]);
    agent.destroy();
  });
});
