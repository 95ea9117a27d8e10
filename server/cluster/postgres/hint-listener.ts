import { backoffMs, DedicatedConnection } from "./dedicated-connection.js";

/** Options of {@link HintListener}. */
export interface HintListenerOptions {
  connectionString: string;
  /** The connection's `application_name` (how it shows in `pg_stat_activity`). */
  applicationName: string;
  channel: string;
  /** How often the connection is probed with `SELECT 1`. */
  probeMs: number;
  /** How long a probe may take before the connection counts as lost. */
  probeTimeoutMs: number;
  /** The first reconnect delay; it doubles per failed attempt, up to `maxBackoffMs`. */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Each payload of the channel, in arrival order. */
  onPayload: (payload: string) => void;
  /** The connection is back (and listening) after a loss. */
  onReconnect: () => void;
  onWarning: (message: string, error?: unknown) => void;
}

/**
 * The LISTEN side of the hint bus, on a connection of its own (a pooled one may be handed to
 * someone else and go silent), with TCP keep-alive on, never in a transaction (a listener in a long
 * transaction keeps the server's notify queue from being cleaned).
 *
 * A `SELECT 1` probe every `probeMs`, allowed `probeTimeoutMs`, catches a connection that died
 * without an `error` or `end` event. On any loss it reconnects with capped exponential backoff,
 * listens again and then calls `onReconnect`: notifications sent while it was away are gone.
 */
export class HintListener {
  readonly #options: HintListenerOptions;
  #connection: DedicatedConnection | undefined;
  #probeTimer: ReturnType<typeof setInterval> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #attempt = 0;
  #closed = false;
  /** How many times the connection came back after a loss. */
  reconnects = 0;

  constructor(options: HintListenerOptions) {
    this.#options = options;
  }

  /** Connects and listens; rejects when that fails (nothing is left running then). */
  async open(): Promise<void> {
    this.#closed = false;
    await this.#listen();
  }

  /** Stops probing and reconnecting and ends the connection; idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#stopTimers();
    const connection = this.#connection;
    this.#connection = undefined;
    await connection?.end();
  }

  async #listen(): Promise<void> {
    const connection = await DedicatedConnection.open(this.#options.connectionString, this.#options.applicationName, (error) => this.#lost(connection, error));
    connection.client.on("notification", (message) => {
      if (message.channel === this.#options.channel && message.payload !== undefined) this.#options.onPayload(message.payload);
    });
    try {
      await connection.client.query(`LISTEN "${this.#options.channel.replace(/"/g, '""')}"`);
    } catch (error) {
      await connection.end();
      throw error;
    }
    if (this.#closed) {
      await connection.end();
      return;
    }
    this.#connection = connection;
    this.#probeTimer = setInterval(() => void this.#probe(connection), this.#options.probeMs);
  }

  async #probe(connection: DedicatedConnection): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the probe took longer than ${this.#options.probeTimeoutMs} ms`)), this.#options.probeTimeoutMs);
    });
    try {
      await Promise.race([connection.client.query("SELECT 1"), timeout]);
    } catch (error) {
      this.#lost(connection, error);
    } finally {
      clearTimeout(timer);
    }
  }

  #lost(connection: DedicatedConnection, error: unknown): void {
    if (this.#closed || connection !== this.#connection) return;
    this.#options.onWarning("the hint listener connection was lost; reconnecting", error);
    this.#connection = undefined;
    this.#stopTimers();
    void connection.end();
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    const delay = backoffMs(this.#attempt++, this.#options.initialBackoffMs, this.#options.maxBackoffMs);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#reconnect();
    }, delay);
  }

  async #reconnect(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#listen();
    } catch (error) {
      if (this.#closed) return;
      this.#options.onWarning("the hint listener could not reconnect", error);
      this.#scheduleReconnect();
      return;
    }
    if (this.#closed) return;
    this.#attempt = 0;
    this.reconnects++;
    this.#options.onReconnect();
  }

  #stopTimers(): void {
    if (this.#probeTimer) clearInterval(this.#probeTimer);
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#probeTimer = undefined;
    this.#retryTimer = undefined;
  }
}
