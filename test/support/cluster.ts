/**
 * A cluster for the tests: N real server processes (`serve.ts`) on one PostgreSQL database, each
 * with its own node id and port, behind a round-robin TCP proxy, with helpers to kill (SIGKILL),
 * stop and continue (SIGSTOP / SIGCONT) and restart a node, and SDK clients that record every raw
 * `plan:event` each of their connections received.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Decoder, Encoder, PacketType, type Packet } from "socket.io-parser";
import { connect as connectSdk, type PlanroomClient } from "../../client/index.js";
import type { PlanEvent } from "../../shared/index.js";
import { startChildServer, type ChildServer } from "./child-server.js";
import { startRoundRobinProxy, type RoundRobinProxy } from "./round-robin-proxy.js";
import { TEST_PRINCIPALS, tokenOf } from "./test-principals.js";
import type { PrincipalConfig } from "../../server/auth/principal-config.js";

/** One node of a {@link Cluster}. */
interface ClusterNode {
  server: ChildServer;
  /** Its node id, as printed at start-up (`node: …`); new at every start. */
  nodeId: string;
  /** `http://127.0.0.1:port`, to reach this node without the proxy. */
  url: string;
}

/** An SDK client of a {@link Cluster}, with what it received. */
interface RecordingClient {
  client: PlanroomClient;
  /** Every `plan:event` as it arrived, one list per connection (a reconnect starts the next list). */
  connections: PlanEvent[][];
  close(): void;
}

/** A started cluster. */
export interface Cluster {
  /** `http://127.0.0.1:port` of the round-robin proxy. */
  readonly url: string;
  /** The nodes, by index (a restarted node keeps its index). */
  node(index: number): ClusterNode;
  readonly size: number;
  /** SIGKILLs the node and waits until it is gone; the proxy skips it from then on. */
  kill(index: number): Promise<void>;
  /** SIGSTOPs the node: it keeps its connections and its port, and answers nothing. */
  stop(index: number): void;
  /** SIGCONTs a stopped node. */
  cont(index: number): void;
  /** Starts the node again (after a kill; a running one is killed first), on a new port with a new node id. */
  restart(index: number): Promise<ClusterNode>;
  /** An SDK client of the principal (one of the test principals), through the proxy, or straight to `node`. */
  connect(principal: string, options?: { node?: number }): Promise<RecordingClient>;
  /** Closes the clients, kills every node, stops the proxy and removes the configuration. */
  close(): Promise<void>;
}

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  /** How many nodes. */
  size: number;
  /** The database they share, `postgres://…`. */
  store: string;
  /** The configured principals (default: the test principals); `null`: none, so that the nodes generate a development set. */
  principals?: PrincipalConfig[] | null;
  /** More configuration for every node (merged over the principals). */
  config?: Record<string, unknown>;
}

/** A Socket.IO parser whose decoder records every `plan:event` packet into the current connection's list. */
function recordingParser(current: () => PlanEvent[]): { Encoder: typeof Encoder; Decoder: typeof Decoder } {
  class RecordingDecoder extends Decoder {
    constructor() {
      super();
      // Registered before the client's own listener: a packet is recorded before it is handled.
      this.on("decoded", (packet: Packet) => {
        const data: unknown = packet.data;
        if (packet.type === PacketType.EVENT && Array.isArray(data) && data[0] === "plan:event") current().push(data[1] as PlanEvent);
      });
    }
  }
  return { Encoder, Decoder: RecordingDecoder };
}

async function startNode(configFile: string, store: string): Promise<ClusterNode> {
  const server = await startChildServer(["--port", "0", "--host", "127.0.0.1", "--config", configFile, "--store", store], 30_000);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const nodeId = /^node: (\S+)$/m.exec(server.output())?.[1];
    if (nodeId) return { server, nodeId, url: server.url };
    if (Date.now() > deadline) {
      await server.kill("SIGKILL");
      throw new Error(`the node printed no node id:\n${server.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Starts `size` nodes on the database (in parallel; the migrations are applied once) and the proxy in front of them. */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const dir = await mkdtemp(join(tmpdir(), "planroom-cluster-"));
  const configFile = join(dir, "config.json");
  const principals = options.principals === undefined ? TEST_PRINCIPALS : options.principals;
  await writeFile(configFile, JSON.stringify({ ...(principals === null ? {} : { principals }), ...options.config }));
  const tokens = new Map((principals ?? []).map((p) => [p.id, p.token]));
  const nodes: (ClusterNode | undefined)[] = [];
  const clients: RecordingClient[] = [];
  let proxy: RoundRobinProxy | undefined;
  const node = (index: number): ClusterNode => {
    const found = nodes[index];
    if (!found) throw new Error(`no node ${index} running`);
    return found;
  };
  const kill = async (index: number): Promise<void> => {
    const found = nodes[index];
    nodes[index] = undefined;
    await found?.server.kill("SIGKILL");
  };
  const close = async (): Promise<void> => {
    for (const c of clients.splice(0)) c.close();
    await proxy?.close();
    await Promise.all(nodes.map((_, i) => kill(i)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const started = await Promise.allSettled(Array.from({ length: options.size }, () => startNode(configFile, options.store)));
    started.forEach((s, i) => (nodes[i] = s.status === "fulfilled" ? s.value : undefined));
    const failed = started.find((s) => s.status === "rejected");
    if (failed) throw failed.reason;
    proxy = await startRoundRobinProxy(() => nodes.flatMap((n) => (n ? [{ host: "127.0.0.1", port: Number(new URL(n.url).port) }] : [])));
  } catch (error) {
    await close();
    throw error;
  }
  const url = proxy.url;
  return {
    url,
    size: options.size,
    node,
    kill,
    stop: (index) => void node(index).server.child.kill("SIGSTOP"),
    cont: (index) => void node(index).server.child.kill("SIGCONT"),
    async restart(index) {
      await kill(index);
      const started = await startNode(configFile, options.store);
      nodes[index] = started;
      return started;
    },
    async connect(principal, connectOptions = {}) {
      const connections: PlanEvent[][] = [[]];
      let connected = 0;
      const client = connectSdk(connectOptions.node === undefined ? url : node(connectOptions.node).url, {
        token: tokens.get(principal) ?? tokenOf(principal),
        socketOptions: { parser: recordingParser(() => connections.at(-1)!), reconnectionDelay: 100, reconnectionDelayMax: 500 },
      });
      client.on("connection", (state) => {
        if (state === "connected" && ++connected > 1) connections.push([]);
      });
      const recording: RecordingClient = { client, connections, close: () => client.close() };
      clients.push(recording);
      await client.whoami();
      return recording;
    },
    close,
  };
}
