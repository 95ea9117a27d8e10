import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { PlanStatusSchema, type PlanStatus } from "../../shared/index.js";
import type { ServerMetrics } from "../runtime/server-metrics.js";
import type { MetricsExposition } from "../transport/http/metrics-routes.js";

/** What the gauges read at each scrape. */
export interface GaugeSources {
  /** Sockets connected now. */
  sockets(): number;
  /** Plan rooms with at least one member. */
  rooms(): number;
  /** Members of all rooms together (one per principal and room). */
  roomMembers(): number;
  /** Plan rooms in memory: every live plan's, and the finished ones cached. */
  roomsInMemory(): number;
  /** The finished rooms cached in memory: how many, and the bytes they are estimated at. */
  finishedRooms(): { rooms: number; bytes: number };
  /** How many plans are stored in each status (statuses without plans may be left out). */
  plansByStatus(): Promise<ReadonlyMap<PlanStatus, number>>;
}

/** Distinct tool names a histogram labels; the rest are counted under `_other` (agents name their own tools). */
const MAX_TOOL_LABELS = 200;
/** Buckets of latencies in seconds, from 0.1 ms to 10 s. */
const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Buckets of step durations and approval waits in seconds, from 1 ms to a day. */
const LONG_BUCKETS = [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3_600, 14_400, 86_400];

let sharedProcessRegistry: Registry | undefined;

/**
 * Node's default process metrics (event-loop lag, heap, GC, …), collected once per process: each
 * collection starts an event-loop delay monitor and a GC observer that nothing can stop, so
 * servers created one after another in a process share this one.
 */
function processMetrics(): Registry {
  if (!sharedProcessRegistry) {
    sharedProcessRegistry = new Registry();
    collectDefaultMetrics({ register: sharedProcessRegistry });
  }
  return sharedProcessRegistry;
}

/** `make(key)` remembered by key: the labelled children of a metric, made once instead of per call. */
function memo<T>(make: (key: string) => T): (key: string) => T {
  const made = new Map<string, T>();
  return (key) => {
    let value = made.get(key);
    if (value === undefined) made.set(key, (value = make(key)));
    return value;
  };
}

/** A server's metrics: what its layers record, and the registry `GET /metrics` serves. */
export interface PrometheusMetrics {
  metrics: ServerMetrics;
  exposition: MetricsExposition;
  registry: Registry;
}

/**
 * The server's metrics on a registry of its own (several servers may run in one process), which
 * also holds the process's default metrics (see {@link processMetrics}). Every series carries the
 * label `node="<nodeId>"` (the registry's default label), so that the series of several servers
 * scraped into one Prometheus stay apart and can be summed or compared across nodes. Every metric
 * is named here.
 */
export function createPrometheusMetrics(nodeId: string, sources: GaugeSources): PrometheusMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ node: nodeId });
  const registers = [registry];
  // The same metric objects, shown by this registry with its label too.
  const processRegistry = processMetrics();
  for (const { name } of processRegistry.getMetricsAsArray()) {
    const metric = processRegistry.getSingleMetric(name);
    if (metric) registry.registerMetric(metric);
  }

  new Gauge({ name: "planroom_sockets_connected", help: "Socket.IO connections open now", registers, collect() { this.set(sources.sockets()); } });
  new Gauge({ name: "planroom_rooms", help: "Plan rooms with at least one member", registers, collect() { this.set(sources.rooms()); } });
  new Gauge({ name: "planroom_room_members", help: "Members of all plan rooms (one per principal and room)", registers, collect() { this.set(sources.roomMembers()); } });
  new Gauge({ name: "planroom_rooms_in_memory", help: "Plan rooms in memory: every live plan's and the finished ones cached", registers, collect() { this.set(sources.roomsInMemory()); } });
  new Gauge({ name: "planroom_finished_rooms_cached", help: "Rooms of finished plans kept in memory while not in use (limits.finishedRoomsCached)", registers, collect() { this.set(sources.finishedRooms().rooms); } });
  new Gauge({ name: "planroom_finished_rooms_cached_bytes", help: "Estimated bytes of the finished rooms kept in memory (limits.finishedRoomsBytes)", registers, collect() { this.set(sources.finishedRooms().bytes); } });
  new Gauge({
    name: "planroom_plans",
    help: "Plans by status",
    labelNames: ["status"],
    registers,
    async collect() {
      let stored: ReadonlyMap<PlanStatus, number>;
      try {
        stored = await sources.plansByStatus();
      } catch {
        return; // the store cannot count now: the last values stay
      }
      for (const status of PlanStatusSchema.options) this.set({ status }, stored.get(status) ?? 0);
    },
  });
  const commands = new Counter({ name: "planroom_commands_total", help: "Commands answered, by command and result code (OK or the error code)", labelNames: ["command", "code"], registers });
  const commandSeconds = new Histogram({ name: "planroom_command_duration_seconds", help: "Time from a command's arrival to its answer", labelNames: ["command"], buckets: LATENCY_BUCKETS, registers });
  const events = new Counter({ name: "planroom_events_appended_total", help: "Events made durable, by type", labelNames: ["type"], registers });
  const commitSeconds = new Histogram({ name: "planroom_store_commit_duration_seconds", help: "Group commits of the file store's event log: writes and fdatasync", buckets: LATENCY_BUCKETS, registers });
  const fsyncSeconds = new Histogram({ name: "planroom_store_fdatasync_duration_seconds", help: "The fdatasync of each group commit", buckets: LATENCY_BUCKETS, registers });
  const deliveries = new Counter({ name: "planroom_deliveries_total", help: "Broadcasts to sockets: plan events and presence changes", labelNames: ["kind"], registers });
  const stepSeconds = new Histogram({ name: "planroom_step_duration_seconds", help: "Step attempts that ran, by tool and outcome", labelNames: ["tool", "outcome"], buckets: LONG_BUCKETS, registers });
  const decisionSeconds = new Histogram({ name: "planroom_approval_decision_seconds", help: "Time from an approval request to its decision, by outcome", labelNames: ["outcome"], buckets: LONG_BUCKETS, registers });
  const remoteCalls = new Counter({ name: "planroom_remote_tool_calls_total", help: "Calls of agents' tools over their sockets, by outcome (ok or the error code)", labelNames: ["outcome"], registers });
  const appendConflicts = new Counter({ name: "planroom_append_conflicts_total", help: "Appends refused because another node wrote the plan first (kind seq: caught up and decided again) or the executor's lease was taken over (kind lease)", labelNames: ["kind"], registers });
  const rateLimited = new Counter({ name: "planroom_rate_limited_total", help: "Commands, Socket.IO handshakes and HTTP requests refused with RATE_LIMITED", registers });

  const toolLabels = new Set<string>();
  const toolLabel = (tool: string): string => {
    if (toolLabels.has(tool)) return tool;
    if (toolLabels.size >= MAX_TOOL_LABELS) return "_other";
    toolLabels.add(tool);
    return tool;
  };

  // The hot paths (each command, each event, each delivery) reuse their labelled children.
  const commandCount = memo((key) => commands.labels(...(key.split("\0") as [string, string])));
  const commandLatency = memo((name) => commandSeconds.labels(name));
  const eventCount = memo((type) => events.labels(type));
  const deliveryCount = memo((kind) => deliveries.labels(kind));
  const metrics: ServerMetrics = {
    command(name, code, ms) {
      commandCount(`${name}\0${code}`).inc();
      commandLatency(name).observe(ms / 1_000);
    },
    eventAppended: (type) => eventCount(type).inc(),
    storeCommit(commitMs, fsyncMs) {
      commitSeconds.observe(commitMs / 1_000);
      fsyncSeconds.observe(fsyncMs / 1_000);
    },
    delivery: (kind) => deliveryCount(kind).inc(),
    stepFinished: (tool, outcome, ms) => stepSeconds.observe({ tool: toolLabel(tool), outcome }, ms / 1_000),
    approvalDecided: (outcome, ms) => decisionSeconds.observe({ outcome }, Math.max(0, ms) / 1_000),
    remoteToolCall: (outcome) => remoteCalls.inc({ outcome }),
    appendConflict: (kind) => appendConflicts.inc({ kind }),
    rateLimited: () => rateLimited.inc(),
  };
  return { metrics, registry, exposition: { contentType: registry.contentType, text: () => registry.metrics() } };
}
