import { io as connectClient, type Socket } from "socket.io-client";
import { afterEach } from "vitest";
import type { CommandInput, CommandName, CommandResult, PlanEvent, PresenceDelta, ToolInvoke, ToolResult, WireError } from "../../shared/index.js";
import { createPlanroomServer, type PlanroomServer, type PlanroomServerOptions } from "../../server/app/create-server.js";
import { silentLogger } from "../../server/runtime/logger.js";
import { createMemoryStore } from "../../server/store/memory-store.js";
import { TEST_PRINCIPALS, tokenOf } from "./test-principals.js";

/** Starts a server on port 0 with {@link TEST_PRINCIPALS} and a memory store (unless given). */
export async function startTestServer(options: PlanroomServerOptions = {}): Promise<PlanroomServer> {
  return createPlanroomServer({ host: "127.0.0.1", port: 0, principals: TEST_PRINCIPALS, store: createMemoryStore(), log: silentLogger, webDir: "/nonexistent", ...options });
}

/** A connected test client with an event recorder. */
export interface TestClient {
  socket: Socket;
  /** Every `plan:event` received, in order. */
  events: PlanEvent[];
  /** Every `presence:delta` received, in order. */
  presence: PresenceDelta[];
  /** Sends a command and returns its ack (times out after 5 s). */
  cmd<C extends CommandName>(name: C, payload: CommandInput<C>): Promise<({ ok: true } & CommandResult<C>) | { ok: false; error: WireError }>;
  /** Sends a command and returns its result; throws on an error ack. */
  ok<C extends CommandName>(name: C, payload: CommandInput<C>): Promise<CommandResult<C>>;
  /** Resolves once an event matches. */
  waitFor(predicate: (e: PlanEvent) => boolean, timeoutMs?: number): Promise<PlanEvent>;
  close(): void;
}

/** What a test client serves: its tools, and the plans it joins with `serveTools` once connected (as their submitter, to serve their tools). */
export interface ConnectOptions {
  tools?: Record<string, (req: ToolInvoke) => Promise<ToolResult> | ToolResult>;
  serveTools?: string[];
}

/** Connects with the token of one of {@link TEST_PRINCIPALS} and waits for the connection. */
export async function connect(url: string, id: string, opts: ConnectOptions = {}): Promise<TestClient> {
  const socket = connectClient(url, { auth: { token: tokenOf(id) }, transports: ["websocket"], reconnection: false, forceNew: true });
  const events: PlanEvent[] = [];
  const presence: PresenceDelta[] = [];
  const waiters = new Set<{ predicate: (e: PlanEvent) => boolean; resolve: (e: PlanEvent) => void }>();
  socket.on("plan:event", (e: PlanEvent) => {
    events.push(e);
    for (const w of waiters) if (w.predicate(e)) {
      waiters.delete(w);
      w.resolve(e);
    }
  });
  socket.on("presence:delta", (p: PresenceDelta) => presence.push(p));
  socket.on("tool:invoke", async (req: ToolInvoke, ack: (r: ToolResult) => void) => {
    const tool = opts.tools?.[req.tool];
    if (!tool) return ack({ ok: false, error: { code: "UNKNOWN_TOOL", message: `no tool ${req.tool}` } });
    try {
      ack(await tool(req));
    } catch (e) {
      ack({ ok: false, error: { code: "TOOL_ERROR", message: (e as Error).message } });
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", (e) => reject(e));
  });
  const client: TestClient = {
    socket,
    events,
    presence,
    cmd: (name, payload) => socket.timeout(5_000).emitWithAck(name, payload),
    async ok(name, payload) {
      const r = await client.cmd(name, payload);
      if (!r.ok) throw new Error(`${name} failed: ${r.error.code}: ${r.error.message}`);
      return r as never;
    },
    waitFor(predicate, timeoutMs = 10_000) {
      const found = events.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const w = { predicate, resolve: (e: PlanEvent) => (clearTimeout(t), resolve(e)) };
        const t = setTimeout(() => {
          waiters.delete(w);
          reject(new Error("timed out waiting for an event"));
        }, timeoutMs);
        waiters.add(w);
      });
    },
    close: () => socket.close(),
  };
  for (const planId of opts.serveTools ?? []) await client.ok("plan:join", { planId, serveTools: true });
  return client;
}

/** A small plan over the given tool names: a chain `s1 → s2 → …`. */
export function chainPlan(tools: string[], description = "test plan") {
  return {
    description,
    steps: tools.map((tool, i) => ({ id: `s${i + 1}`, tool, description: `step ${i + 1}`, params: { n: i + 1 }, dependsOn: i === 0 ? [] : [`s${i}`] })),
  };
}

/** A test file's server and clients: `start()` a server, `join()` clients to it; after each test both are closed. */
export interface TestServerScope {
  /** Starts the test's server (see {@link startTestServer}). */
  start: (options?: PlanroomServerOptions) => Promise<PlanroomServer>;
  /** Connects a client of principal `id` to the test's server. */
  join: (id: string, opts?: Parameters<typeof connect>[2]) => Promise<TestClient>;
  /** The test's server; throws before `start()`. */
  readonly server: PlanroomServer;
}

/** Registers the clean-up of a server and its clients after each test of the calling file. */
export function useTestServer(): TestServerScope {
  let current: PlanroomServer | undefined;
  const clients: TestClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await current?.close();
    current = undefined;
  });
  const scope: TestServerScope = {
    async start(options) {
      current = await startTestServer(options);
      return current;
    },
    async join(id, opts) {
      const c = await connect(scope.server.url, id, opts);
      clients.push(c);
      return c;
    },
    get server() {
      if (!current) throw new Error("start() the test server first");
      return current;
    },
  };
  return scope;
}
