import { createServer, type RequestListener, type Server as HttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { Server } from "socket.io";
import { loadPrincipals } from "../auth/load-principals.js";
import type { PrincipalConfig } from "../auth/principal-config.js";
import { PrincipalRegistry } from "../auth/principals.js";
import type { ToolRegistry } from "../executor/tool-registry.js";
import { AgentQuota } from "../rooms/agent-quota.js";
import { RoomDirectory } from "../rooms/room-directory.js";
import { RoomReactions } from "../rooms/room-reactions.js";
import { RunRegistry } from "../rooms/run-registry.js";
import { RunSweeper } from "../rooms/run-sweeper.js";
import { systemClock, type Clock } from "../runtime/clock.js";
import type { Logger } from "../runtime/logger.js";
import { createStructuredLogger } from "../runtime/structured-logger.js";
import type { Store } from "../store/store.js";
import { clientAddress, compileProxyTrust } from "../transport/client-address.js";
import { createHttpApi } from "../transport/http/http-api.js";
import type { Readiness } from "../transport/http/health-routes.js";
import { AgentSockets } from "../transport/socket/agent-sockets.js";
import { AuthFailureLimiter } from "../transport/socket/auth-failure-limit.js";
import { createCommandHandlers } from "../transport/socket/commands/command-handlers.js";
import { HandshakeGate } from "../transport/socket/handshake-gate.js";
import { HandshakeOrigins } from "../transport/socket/handshake-origin.js";
import type { PlanroomIo } from "../transport/socket/planroom-io.js";
import type { RateBudgets } from "../transport/rate-budget.js";
import { preEncodingParser } from "../transport/socket/pre-encoding-parser.js";
import { PrincipalSockets } from "../transport/socket/principal-sockets.js";
import { socketBroadcast } from "../transport/socket/socket-broadcast.js";
import { attachSocketConnections } from "../transport/socket/socket-connections.js";
import { parseConfig, type ServerConfigInput } from "./config.js";
import { planMessageBytes } from "./message-size-limit.js";
import { nodeStore } from "./node-store.js";
import { loadTlsFiles } from "./tls-files.js";
import { listenForMetrics, type MetricsListener } from "./metrics-listener.js";
import { observedBroadcast } from "./observed-broadcast.js";
import { createPrometheusMetrics } from "./prometheus-metrics.js";
import { rateBudgetsFor } from "./rate-budgets-for.js";
import { nodeCluster } from "./node-cluster.js";
import { RemoteEvents } from "../rooms/remote-events.js";
import { ClusterPresence } from "../rooms/cluster-presence.js";
import { loadToolModules } from "./tool-modules.js";
import { defaultWebDir } from "./web-dir.js";

/** Room left in a Socket.IO message for what wraps a tool's result (packet type, ack id, `{ok,result}`). */
const RESULT_ENVELOPE_BYTES = 1_024;
/** How often a node reads the change feed of a shared store: the longest a lost hint delays an event. */
const FEED_POLL_MS = 1_000;

/** Options of {@link createPlanroomServer}: the configuration plus what only code can pass. */
export interface PlanroomServerOptions extends Omit<ServerConfigInput, "store"> {
  /**
   * The store, or the `postgres://` (`postgresql://`) URL of the database to run on; by default the
   * embedded file store in `dataDir`.
   */
  store?: Store | string;
  /** Server-side tools, merged with those of `toolModules` (a name defined twice is an error). */
  tools?: ToolRegistry;
  clock?: Clock;
  /** Where the server logs; default a structured (pino) logger on stdout, by `logFormat` and `logLevel`. */
  log?: Logger;
  /** The dashboard's built files (default: the package's own `dist/web/`), served at `/` when present. */
  webDir?: string;
  /**
   * The rate budgets (per principal and per address); by default in this process's memory, sized
   * by `rateLimit` and `handshakeLimit`, or in the `rateLimitStore` database. Any other shared
   * backend goes here, for servers that share clients.
   */
  rateBudgets?: RateBudgets;
}

/** A running Planroom server. */
export interface PlanroomServer {
  /** `http://host:port`, or `https://` with `tls` (the real port when 0 was asked for). */
  url: string;
  port: number;
  io: PlanroomIo;
  http: HttpServer;
  store: Store;
  /**
   * This node's id (`planroom-<pid>-<random>`), new at every start: the owner of the executor
   * leases it takes, shown at start-up and in `GET /healthz`, and its metrics' `node` label.
   */
  nodeId: string;
  /** The principals with their tokens when a development set was generated (print them); else empty. */
  devPrincipals: PrincipalConfig[];
  /** Names of the server-side tools (the `tools` option and `toolModules`), sorted. */
  toolNames: string[];
  /** `http://host:port/metrics` of the `metricsListen` listener (no token needed), when configured. */
  metricsUrl: string | undefined;
  /** Stops accepting, lets running steps finish up to the grace period, flushes the store, closes sockets. */
  close(): Promise<void>;
}

/**
 * Starts a Planroom server in-process: loads the tool modules, opens the store, restores its live plans
 * (recovering runs that a crash interrupted), and serves Socket.IO and HTTP on `host:port` (port 0
 * picks a free one). A tool module that cannot be loaded, or a tool name defined twice, stops it
 * with a `VALIDATION` error before anything is opened.
 */
export async function createPlanroomServer(options: PlanroomServerOptions = {}): Promise<PlanroomServer> {
  const { store: givenStore, tools: givenTools, clock = systemClock, log: givenLog, webDir, rateBudgets, ...configInput } = options;
  const config = parseConfig(configInput);
  const log = givenLog ?? createStructuredLogger({ format: config.logFormat, level: config.logLevel });
  const tools = await loadToolModules(config.toolModules, givenTools);
  const planBytes = planMessageBytes(config.limits);
  if (config.maxHttpBufferSize < planBytes) {
    log.warn(`maxHttpBufferSize (${config.maxHttpBufferSize} bytes) is smaller than a plan at the limits needs (${planBytes} bytes for limits.maxSteps ${config.limits.maxSteps}): large plans will be refused as too large a message; raise it or lower limits.maxSteps`);
  }
  const tls = config.tls ? await loadTlsFiles(config.tls) : undefined;
  // Filled in once the server's parts exist: the gauges read them at each scrape.
  const gauges: { io?: PlanroomIo; directory?: RoomDirectory; store?: Store } = {};
  const nodeId = `planroom-${process.pid}-${randomBytes(4).toString("hex")}`;
  const prometheus = createPrometheusMetrics(nodeId, {
    sockets: () => gauges.io?.of("/").sockets.size ?? 0,
    // Rooms with members are in memory: these walk the rooms in memory, never every stored plan.
    rooms: () => {
      let n = 0;
      for (const room of gauges.directory?.inMemory() ?? []) if (room.members.size > 0) n++;
      return n;
    },
    roomMembers: () => {
      let n = 0;
      for (const room of gauges.directory?.inMemory() ?? []) n += room.members.size;
      return n;
    },
    roomsInMemory: () => gauges.directory?.size ?? 0,
    finishedRooms: () => gauges.directory?.finishedInMemory ?? { rooms: 0, bytes: 0 },
    plansByStatus: () => (gauges.store ? gauges.store.countPlans() : Promise.resolve(new Map())),
  });
  const { metrics } = prometheus;
  const store = nodeStore({ given: givenStore, dataDir: config.dataDir, log, metrics });
  await store.open();
  let registry: PrincipalRegistry;
  let generated: PrincipalConfig[];
  try {
    const loaded = await loadPrincipals(store, config.principals);
    registry = new PrincipalRegistry(loaded.principals);
    generated = loaded.generated;
  } catch (error) {
    await store.close();
    throw error;
  }

  // The HTTP API must be the server's request listener before Socket.IO attaches: engine.io then
  // routes `/socket.io/` to itself and hands every other request to it. A listener added after
  // attaching would also see Socket.IO's requests (long-polling would break).
  const api: { listener?: RequestListener } = {};
  const listener: RequestListener = (req, res) => {
    if (api.listener) api.listener(req, res);
    else res.writeHead(503, { "content-type": "text/plain" }).end("starting");
  };
  // HTTPS and WSS directly with `tls`; Socket.IO attaches to either server the same way.
  const http: HttpServer = tls ? createHttpsServer(tls, listener) : createServer(listener);
  const proxyTrust = compileProxyTrust(config.trustProxy);
  const rate = rateBudgetsFor(config, { rateBudgets, store: givenStore, log });
  const { budgets } = rate;
  const gate = new HandshakeGate({ failures: new AuthFailureLimiter(config.authFailureLimit, () => clock.now()), origins: new HandshakeOrigins(config.corsOrigins), registry, clientAddress: (req) => clientAddress(req, proxyTrust), budgets, metrics });
  const principalSockets = new PrincipalSockets(config.limits.maxSocketsPerPrincipal);
  const io: PlanroomServer["io"] = new Server(http, {
    // Runs on each new engine.io session, before anything is allocated for it: blocked addresses and foreign origins.
    allowRequest: gate.allowRequest,
    maxHttpBufferSize: config.maxHttpBufferSize,
    // Writes a join's pre-encoded snapshot as it is instead of encoding it once per join.
    parser: preEncodingParser,
    perMessageDeflate: false,
    httpCompression: false,
    cors: { origin: config.corsOrigins.length > 0 ? config.corsOrigins : false },
  });
  // A result comes back in one Socket.IO message, which may not pass maxHttpBufferSize either.
  const agents = new AgentSockets(clock, config.agentGraceMs, { maxResultBytes: Math.min(config.limits.maxResultBytes, config.maxHttpBufferSize - RESULT_ENVELOPE_BYTES) }, metrics);
  const runs = new RunRegistry({ store, clock, agents, tools, limits: config.limits, owner: nodeId, lease: config.lease, log });
  const quota = new AgentQuota();
  const reactions = new RoomReactions({ store, clock, log, runs, quota, metrics, broadcast: observedBroadcast(socketBroadcast(io), { metrics, log }) });
  const directory = new RoomDirectory({ store, reactions, runs, limits: config.limits });
  // The other nodes on the same database (none on the file and memory stores).
  const cluster = await nodeCluster({ given: givenStore, store, nodeId, secret: process.env.PLANROOM_CLUSTER_SECRET, log });
  const remote = new RemoteEvents({ store, cluster, room: (planId) => directory.get(planId), feedPollMs: FEED_POLL_MS, log });
  reactions.onCommitted((planId, events) => remote.committed(planId, events));
  // Presence across nodes, when there are other nodes.
  const presence = store.sharedWriters ? new ClusterPresence({ cluster, room: (planId) => directory.get(planId), log }) : undefined;
  if (presence) reactions.onMembership((room, change) => presence.changed(room, change));
  // On a shared store, plans whose executor is gone are taken over through their lease (restore does not recover them).
  const sweeper = store.sharedWriters ? new RunSweeper({ store, clock, log, room: (planId) => directory.room(planId), runs, everyMs: config.lease.sweepMs }) : undefined;
  gauges.io = io;
  gauges.directory = directory;
  gauges.store = store;
  let closing = false;
  const handlers = createCommandHandlers({ directory, runs, quota, registry, clock, serverTools: tools, agents, limits: config.limits, approvalRules: config.approvalRules, closing: () => closing });
  const readiness = (): Readiness => {
    if (closing) return { ok: false, reason: "shutting down" };
    const health = store.health?.() ?? { writable: true };
    return health.writable ? { ok: true } : { ok: false, reason: `the store refuses writes: ${health.reason}` };
  };
  const countPlans = async (): Promise<number> => [...(await store.countPlans()).values()].reduce((a, b) => a + b, 0);
  api.listener = createHttpApi({ nodeId, directory, registry, voterRoles: config.approvalRules.voterRoles, countPlans, corsOrigins: config.corsOrigins, webDir: webDir ?? defaultWebDir(), log, readiness, trustProxy: config.trustProxy, metrics: prometheus.exposition, rateLimit: { budgets, addressOf: (req) => gate.addressOf(req), metrics } });
  attachSocketConnections(io, { gate, registry, principalSockets, handlers, directory, agents, budget: budgets.principals, limits: { maxMessageBytes: config.maxHttpBufferSize }, log, metrics });

  // A start that fails past this point (the port is taken, the metrics address is) lets go of
  // everything it holds, the store's lock first of all, so that the same process can try again.
  const abandon = async (): Promise<void> => {
    closing = true;
    reactions.stop();
    remote.stop();
    presence?.stop();
    await sweeper?.stop();
    await runs.drain(0);
    await io.close();
    await metricsListener?.close();
    await rate.close();
    await cluster.close();
    await store.close();
  };
  let metricsListener: MetricsListener | undefined;
  try {
    await rate.ready();
    await cluster.open();
    // The feed starts before the rooms load: nothing committed meanwhile is missed.
    await remote.start();
    presence?.start();
    await directory.restore();
    sweeper?.start();
    await new Promise<void>((ok, fail) => {
      http.once("error", fail);
      http.listen(config.port, config.host, () => {
        http.off("error", fail);
        ok();
      });
    });
    if (config.metricsListen) metricsListener = await listenForMetrics(config.metricsListen, prometheus.exposition);
  } catch (error) {
    await abandon().catch((cleanup: unknown) => log.warn(`cleanup after a failed start: ${String(cleanup)}`));
    throw error;
  }
  const port = (http.address() as AddressInfo).port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      closing = true;
      http.close();
      const metricsClosed = metricsListener?.close();
      reactions.stop();
      await sweeper?.stop();
      await runs.drain(config.shutdownGraceMs);
      // Only rooms in memory can have writes on their way.
      await Promise.allSettled([...directory.inMemory()].map((r) => r.settled()));
      try {
        await store.flush();
      } finally {
        await io.close();
        http.closeAllConnections();
        await rate.close();
        remote.stop();
        presence?.stop();
        await cluster.close();
        await store.close();
        await metricsClosed;
      }
    })());

  return { url: `${tls ? "https" : "http"}://${host}:${port}`, port, io, http, store, nodeId, devPrincipals: generated, toolNames: [...tools.keys()].sort(), metricsUrl: metricsListener?.url, close };
}
