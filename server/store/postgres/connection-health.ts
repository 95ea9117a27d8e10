import type pg from "pg";
import type { StoreHealth } from "../store.js";

/** How often, at most, a lost connection is probed (`SELECT 1`). */
const PROBE_INTERVAL_MS = 1_000;

/** Node's socket error codes that mean the database could not be reached or the connection broke. */
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ECONNABORTED", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);

/**
 * Whether `error` says the connection is gone rather than that the statement was wrong: a socket
 * error, SQLSTATE class 08 (connection exception), 57P01–57P03 (the server terminated or is shutting
 * down the session), or node-postgres's own messages for a connection that ended or timed out.
 */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && (SOCKET_CODES.has(code) || code.startsWith("08") || /^57P0[123]$/.test(code))) return true;
  return /Connection terminated|connection error|timeout exceeded when trying to connect|not queryable/i.test(error.message);
}

/** Options of {@link ConnectionHealth}. */
interface ConnectionHealthOptions {
  /** One round trip to the database; resolves when it answered. */
  probe: () => Promise<unknown>;
  /** The clock probes are spaced by (default `Date.now`). */
  now?: () => number;
  /** Least time between two probes (default 1 s). */
  intervalMs?: number;
  /** Runs `tick` every `ms` until the returned function is called; by default an unref'd interval, which never keeps the process alive. */
  every?: (ms: number, tick: () => void) => () => void;
}

function unrefInterval(ms: number, tick: () => void): () => void {
  const timer = setInterval(tick, ms);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Whether a PostgreSQL store holds its database connection. It is told of failed queries and
 * of the pool's error events; after a connection error it reports `{ writable: false, reason:
 * "the database connection was lost: …" }` and probes in the background, at most once per
 * interval (on {@link health} calls, and on a timer that never keeps the process alive), until a
 * probe succeeds. A loss reported while a probe is on its way keeps the store lost: only a probe
 * started after the last loss restores it.
 */
export class ConnectionHealth {
  readonly #probe: () => Promise<unknown>;
  readonly #now: () => number;
  readonly #intervalMs: number;
  readonly #every: (ms: number, tick: () => void) => () => void;
  #reason: string | undefined;
  /** Counts losses, so that a probe knows whether one happened after it started. */
  #losses = 0;
  #lastProbeAt = Number.NEGATIVE_INFINITY;
  #probing = false;
  #stopTimer: (() => void) | undefined;

  constructor(options: ConnectionHealthOptions) {
    this.#probe = options.probe;
    this.#now = options.now ?? Date.now;
    this.#intervalMs = options.intervalMs ?? PROBE_INTERVAL_MS;
    this.#every = options.every ?? unrefInterval;
  }

  /** The connection was lost (the pool's error event, or a query's connection error). */
  lost(error: unknown): void {
    this.#losses++;
    this.#reason = error instanceof Error ? error.message : String(error);
    // The first probe waits one interval: the connections that are left may be on their way down too.
    if (this.#stopTimer) return;
    this.#lastProbeAt = this.#now();
    this.#stopTimer = this.#every(this.#intervalMs, () => this.#probeIfDue());
  }

  /** A query failed: a connection error marks the connection lost; any other error says nothing about it. */
  failed(error: unknown): void {
    if (isConnectionError(error)) this.lost(error);
  }

  /** Writable, or why not; while the connection is lost, probes it when a probe is due. */
  health(): StoreHealth {
    if (this.#reason === undefined) return { writable: true };
    this.#probeIfDue();
    return this.#reason === undefined ? { writable: true } : { writable: false, reason: `the database connection was lost: ${this.#reason}` };
  }

  /** Stops the background probes (the store closes). */
  stop(): void {
    this.#stopTimer?.();
    this.#stopTimer = undefined;
  }

  #probeIfDue(): void {
    if (this.#reason === undefined || this.#probing || this.#now() - this.#lastProbeAt < this.#intervalMs) return;
    this.#probing = true;
    this.#lastProbeAt = this.#now();
    const losses = this.#losses;
    this.#probe().then(
      () => {
        this.#probing = false;
        if (this.#losses !== losses) return;
        this.#reason = undefined;
        this.stop();
      },
      (error: unknown) => {
        this.#probing = false;
        this.#reason = error instanceof Error ? error.message : String(error);
      },
    );
  }
}

/**
 * Tells `health` of every connection error of `pool`: its error events (an idle connection that
 * died), every connection's own error event, and the queries that fail with a connection error.
 * Returns `pool`.
 */
export function watchConnection(pool: pg.Pool, health: ConnectionHealth): pg.Pool {
  pool.on("error", (error) => health.lost(error));
  pool.on("connect", (client) => client.on("error", (error) => health.lost(error)));
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  pool.query = ((...args: unknown[]) => {
    const result = query(...args);
    if (result instanceof Promise) result.catch((error: unknown) => health.failed(error));
    return result;
  }) as typeof pool.query;
  return pool;
}
