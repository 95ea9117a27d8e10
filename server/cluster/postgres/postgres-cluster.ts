import pg from "pg";
import { PlanroomError } from "../../../shared/index.js";
import { migrate } from "../../store/postgres/migrations.js";
import type { Cluster, Hint } from "../cluster.js";
import { checkPlanId, checkPlanSocket, checkPresenceJoin } from "../cluster-input.js";
import { decodePayload } from "./hint-codec.js";
import { HintListener } from "./hint-listener.js";
import { HintNotifier } from "./hint-notifier.js";
import { NodeRegistry, type SweptRow } from "./node-registry.js";
import { PresenceTable } from "./presence-table.js";
import { RouteTable } from "./route-table.js";

/** Options of {@link createPostgresCluster}. */
interface PostgresClusterOptions {
  /** `postgres://user@host:port/database`: the store's database. */
  connectionString: string;
  /** This node's id, unique per process start. */
  nodeId: string;
  /** The cluster secret every node shares: hints are signed with it and believed only when signed with it. */
  secret: string | Buffer;
  /** How often the node heartbeats and sweeps dead nodes (default 1,000 ms). */
  heartbeatMs?: number;
  /** A node whose last heartbeat is older than this is dead (default 5,000 ms). */
  deadAfterMs?: number;
  /** How often the listener connection is probed (default 10,000 ms). */
  probeMs?: number;
  /** How long a probe may take before the listener reconnects (default 2,000 ms). */
  probeTimeoutMs?: number;
  /** The longest a published hint waits for its batch (default 5 ms). */
  batchMs?: number;
  /** The first reconnect delay of the listener, doubling up to 5 s (default 100 ms). */
  reconnectMs?: number;
  /** Told of what goes wrong without failing a call: lost connections, hints not sent, failed heartbeats. */
  onWarning?: (message: string, error?: unknown) => void;
}

/** Counters of a PostgreSQL cluster node. */
interface ClusterStats {
  /** Hints sent. */
  sent: number;
  /** Hints dropped because they could not be sent (or were published after close). */
  unsent: number;
  /** Hints of other nodes received. */
  received: number;
  /** Payloads dropped on receipt: a missing or wrong MAC, or a malformed body. */
  dropped: number;
  /** Times the listener connection came back after a loss. */
  reconnects: number;
}

/** A {@link Cluster} on PostgreSQL, with its counters. */
export interface PostgresCluster extends Cluster {
  stats(): ClusterStats;
}

/** The channel all nodes of a database notify and listen on. */
const CHANNEL = "planroom";

/**
 * A {@link Cluster} on PostgreSQL: hints over LISTEN/NOTIFY, presence and agent routes in UNLOGGED
 * tables of the store's database (created by the store's migrations, applied at `open()` too).
 *
 * - Hints go out on a notifier connection (see {@link HintNotifier}) and come in on a listener
 *   connection (see {@link HintListener}); payloads are HMAC-signed with `secret`, and one with a
 *   missing or wrong MAC is dropped and counted. A node's own hints are not delivered to it. After
 *   the listener reconnects, the node writes its presence and routes again (a database crash
 *   empties UNLOGGED tables), hints their plans and calls the `onReconnect` listeners.
 * - Every `heartbeatMs` the node heartbeats and sweeps nodes dead for `deadAfterMs` (database
 *   clock): their presence and routes are deleted and `presence` / `route` hints of the plans
 *   affected are published; this node's own listeners get them too, `from` the dead node, since
 *   the change is not this node's own.
 * - `close()` deletes the node's row, presence and routes (hinting their plans), then ends timers
 *   and connections.
 */
export function createPostgresCluster(options: PostgresClusterOptions): PostgresCluster {
  const { nodeId, connectionString } = options;
  if (!nodeId || nodeId.length > 128) throw new PlanroomError("VALIDATION", "the cluster node id must be 1 to 128 characters");
  const secret = Buffer.isBuffer(options.secret) ? Buffer.from(options.secret) : Buffer.from(options.secret ?? "", "utf8");
  if (secret.length < 16) throw new PlanroomError("VALIDATION", "the cluster secret must be at least 16 bytes");
  const heartbeatMs = options.heartbeatMs ?? 1_000;
  const deadAfterMs = options.deadAfterMs ?? 5_000;
  const warn = (message: string, error?: unknown): void => {
    try {
      options.onWarning?.(message, error);
    } catch {
      // a warning must not fail what reported it
    }
  };
  const hintListeners = new Set<(hint: Hint, from: string) => void>();
  const reconnectListeners = new Set<() => void>();
  let received = 0;
  let dropped = 0;
  let state: "new" | "opening" | "open" | "closed" = "new";
  let opening: Promise<void> | undefined;
  let parts: { pool: pg.Pool; listener: HintListener; notifier: HintNotifier; registry: NodeRegistry; presence: PresenceTable; routes: RouteTable } | undefined;

  function deliver(hint: Hint, from: string): void {
    for (const listener of [...hintListeners]) {
      try {
        listener(hint, from);
      } catch (error) {
        warn(`a hint listener failed on a ${hint.kind} hint`, error);
      }
    }
  }

  function onPayload(payload: string): void {
    const decoded = decodePayload(payload, secret);
    if (!decoded) {
      dropped++;
      return;
    }
    if (decoded.from === nodeId) return;
    received += decoded.hints.length;
    for (const hint of decoded.hints) deliver(hint, decoded.from);
  }

  function onSwept(rows: SweptRow[]): void {
    for (const row of rows) {
      const hint: Hint = { kind: row.kind, planId: row.planId };
      parts?.notifier.publish(hint);
      deliver(hint, row.nodeId);
    }
  }

  /** Writes this node's presence and routes again and hints their plans. */
  async function restore(): Promise<void> {
    if (!parts) return;
    const { presence, routes, notifier } = parts;
    try {
      for (const planId of await presence.restore()) notifier.publish({ kind: "presence", planId });
      for (const planId of await routes.restore()) notifier.publish({ kind: "route", planId });
    } catch (error) {
      warn("this node's presence and routes could not be written again", error);
    }
  }

  /** The parts of the last open, kept for the counters after close. */
  let counted: NonNullable<typeof parts> | undefined;

  function live(): NonNullable<typeof parts> {
    if (state !== "open" || !parts) throw new PlanroomError("INVALID_STATE", "the cluster is not open");
    return parts;
  }

  async function shutdown(opened: NonNullable<typeof parts>, deregister: boolean): Promise<void> {
    await opened.registry.stop();
    if (deregister) {
      try {
        const gone = await opened.registry.deregister();
        for (const planId of new Set(gone.presence)) opened.notifier.publish({ kind: "presence", planId });
        for (const planId of new Set(gone.routes)) opened.notifier.publish({ kind: "route", planId });
      } catch (error) {
        warn("the node could not deregister", error);
      }
    }
    opened.presence.forget();
    opened.routes.forget();
    await opened.notifier.close();
    await opened.listener.close();
    await opened.pool.end().catch((error: unknown) => warn("the cluster's pool did not end cleanly", error));
  }

  async function openParts(): Promise<void> {
    const pool = new pg.Pool({ connectionString, max: 3, application_name: `planroom ${nodeId}` });
    pool.on("error", (error) => warn("an idle connection of the cluster's pool failed", error));
    const listener = new HintListener({
      connectionString,
      applicationName: `planroom listener ${nodeId}`,
      channel: CHANNEL,
      probeMs: options.probeMs ?? 10_000,
      probeTimeoutMs: options.probeTimeoutMs ?? 2_000,
      initialBackoffMs: options.reconnectMs ?? 100,
      maxBackoffMs: 5_000,
      onPayload,
      onReconnect: () => {
        void restore().then(() => {
          for (const listener of [...reconnectListeners]) {
            try {
              listener();
            } catch (error) {
              warn("a reconnect listener failed", error);
            }
          }
        });
      },
      onWarning: warn,
    });
    const notifier = new HintNotifier({ connectionString, applicationName: `planroom notifier ${nodeId}`, channel: CHANNEL, nodeId, secret, batchMs: options.batchMs ?? 5, onWarning: warn });
    const registry = new NodeRegistry({ pool, nodeId, heartbeatMs, deadAfterMs, onSwept, onRowLost: () => void restore(), onWarning: warn });
    const opened = { pool, listener, notifier, registry, presence: new PresenceTable(pool, nodeId), routes: new RouteTable(pool, nodeId) };
    try {
      await migrate(pool);
      await listener.open();
      await registry.heartbeat();
    } catch (error) {
      await shutdown(opened, false);
      state = "closed";
      throw new PlanroomError("INTERNAL", `the PostgreSQL cluster could not open: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    parts = opened;
    counted = opened;
    state = "open";
    registry.start();
  }

  return {
    nodeId,
    async open() {
      if (state === "opening" || state === "open") return opening;
      if (state === "closed") throw new PlanroomError("INVALID_STATE", "the cluster is closed");
      state = "opening";
      opening = openParts();
      return opening;
    },
    async close() {
      if (state === "opening") await opening?.catch(() => undefined);
      const opened = parts;
      state = "closed";
      parts = undefined;
      if (opened) await shutdown(opened, true);
    },
    publish(hint) {
      if (state !== "open" || !parts) return;
      parts.notifier.publish(hint);
    },
    onHint(listener) {
      hintListeners.add(listener);
      return () => void hintListeners.delete(listener);
    },
    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => void reconnectListeners.delete(listener);
    },
    presence: {
      async join(member) {
        const checked = checkPresenceJoin(member);
        const { presence, notifier } = live();
        await presence.join(checked);
        notifier.publish({ kind: "presence", planId: checked.planId });
      },
      async leave(planId, socketId) {
        checkPlanSocket(planId, socketId);
        const { presence, notifier } = live();
        if (await presence.leave(planId, socketId)) notifier.publish({ kind: "presence", planId });
      },
      async of(planId) {
        checkPlanId(planId);
        return live().presence.of(planId);
      },
    },
    routes: {
      async set(planId, socketId) {
        checkPlanSocket(planId, socketId);
        const { routes, notifier } = live();
        await routes.set(planId, socketId);
        notifier.publish({ kind: "route", planId });
      },
      async clear(planId, socketId) {
        checkPlanSocket(planId, socketId);
        const { routes, notifier } = live();
        if (await routes.clear(planId, socketId)) notifier.publish({ kind: "route", planId });
      },
      async of(planId) {
        checkPlanId(planId);
        return live().routes.of(planId);
      },
    },
    stats() {
      return {
        sent: counted?.notifier.sent ?? 0,
        unsent: counted?.notifier.unsent ?? 0,
        received,
        dropped,
        reconnects: counted?.listener.reconnects ?? 0,
      };
    },
  };
}
