/**
 * What the server counts, as the layers that see it report it. The layers below the app record
 * through this interface and never see the metrics library; `server/app/prometheus-metrics.ts`
 * implements it over prom-client, {@link noMetrics} ignores everything.
 */
export interface ServerMetrics {
  /** A command was answered: its name, the result code (`OK` or the error's code) and how long it took. */
  command(name: string, code: string, durationMs: number): void;
  /** An event became durable (one call per event). */
  eventAppended(type: string): void;
  /** A store commit finished: the whole commit and its fdatasync. */
  storeCommit(commitMs: number, fsyncMs: number): void;
  /** Something was broadcast to sockets: `event` (a plan event) or `presence` (a presence change). */
  delivery(kind: "event" | "presence"): void;
  /** A step attempt ended: its tool, `completed` or `failed`, and its duration. */
  stepFinished(tool: string, outcome: "completed" | "failed", durationMs: number): void;
  /** An approval request was decided: `approved`, `rejected` or `expired`, this long after it was opened. */
  approvalDecided(outcome: "approved" | "rejected" | "expired", waitedMs: number): void;
  /** A call of an agent's tool over its socket ended: `ok` or the error code. */
  remoteToolCall(outcome: string): void;
  /** The store refused a room's append because another writer came first (`seq`) or the executor was fenced (`lease`). */
  appendConflict(kind: "seq" | "lease"): void;
  /** A command, a handshake or an HTTP request was refused with `RATE_LIMITED` (a spent rate budget). */
  rateLimited(): void;
}

/** Metrics that record nothing. */
export const noMetrics: ServerMetrics = {
  command() {},
  eventAppended() {},
  storeCommit() {},
  delivery() {},
  stepFinished() {},
  approvalDecided() {},
  remoteToolCall() {},
  appendConflict() {},
  rateLimited() {},
};
