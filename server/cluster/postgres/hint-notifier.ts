import type { Hint } from "../cluster.js";
import { backoffMs, DedicatedConnection } from "./dedicated-connection.js";
import { BATCH_TARGET_BYTES, encodePayload, envelopeBytes, isValidHint } from "./hint-codec.js";

/** Options of {@link HintNotifier}. */
export interface HintNotifierOptions {
  connectionString: string;
  /** The connection's `application_name` (how it shows in `pg_stat_activity`). */
  applicationName: string;
  channel: string;
  nodeId: string;
  secret: Buffer;
  /** The longest a hint waits in the queue before its batch is sent. */
  batchMs: number;
  /** Told of hints dropped and of connection failures. */
  onWarning: (message: string, error?: unknown) => void;
}

/** The longest wait before the notifier tries to connect again after a failure. */
const MAX_BACKOFF_MS = 5_000;

/**
 * Sends this node's hints: queued, batched into signed payloads (one `SELECT pg_notify` each, sent
 * at most `batchMs` after the first hint of the batch, or at once when the payload nears
 * {@link BATCH_TARGET_BYTES}), one at a time and in order on a connection of its own with
 * `synchronous_commit` off (a notify-only transaction writes no data: a crash loses a hint, never an
 * event).
 *
 * An `events` hint too large for a payload goes as a `head` hint of its last seq. A payload that
 * fails to send is dropped with a warning (receivers recover through the change feed); after a
 * failure the connection is opened again on the next payload, not sooner than a backoff, and
 * payloads due before that are dropped too.
 */
export class HintNotifier {
  readonly #options: HintNotifierOptions;
  readonly #envelope: number;
  /** The JSON of the hints of the batch being filled, and its size in bytes. */
  #batch: string[] = [];
  #batchBytes = 0;
  #payloadNumber = 0;
  /** Sealed payloads waiting to be sent, with their hint counts. */
  readonly #outbox: { payload: string; hints: number }[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #sending: Promise<void> | undefined;
  #connection: DedicatedConnection | undefined;
  #failures = 0;
  #retryAt = 0;
  #closed = false;
  /** Hints sent, and hints dropped because they could not be. */
  sent = 0;
  unsent = 0;

  constructor(options: HintNotifierOptions) {
    this.#options = options;
    this.#envelope = envelopeBytes(options.nodeId);
  }

  /** Queues a hint; never throws. After `close()` the hint is dropped. */
  publish(hint: Hint): void {
    if (this.#closed) {
      this.unsent++;
      return;
    }
    if (!isValidHint(hint)) {
      this.unsent++;
      this.#options.onWarning(`a ${String((hint as { kind?: unknown }).kind)} hint is malformed and was not sent`);
      return;
    }
    let json = JSON.stringify(hint);
    let bytes = Buffer.byteLength(json);
    // the envelope counts the longest payload number, so a payload stays within the target, below NOTIFY_LIMIT_BYTES
    const room = BATCH_TARGET_BYTES - this.#envelope;
    if (bytes > room && hint.kind === "events") {
      json = JSON.stringify({ kind: "head", planId: hint.planId, seq: hint.events.reduce((last, e) => Math.max(last, e.seq), 0) } satisfies Hint);
      bytes = Buffer.byteLength(json);
    }
    if (bytes > room) {
      this.unsent++;
      this.#options.onWarning(`a ${hint.kind} hint of ${bytes} bytes is too large to send`);
      return;
    }
    if (this.#batch.length > 0 && this.#batchBytes + 1 + bytes > room) this.#seal();
    this.#batchBytes += (this.#batch.length > 0 ? 1 : 0) + bytes;
    this.#batch.push(json);
    this.#timer ??= setTimeout(() => this.#flush(), this.#options.batchMs);
    this.#drain();
  }

  /** Sends what is queued and waits until it is sent or dropped. */
  async flush(): Promise<void> {
    this.#flush();
    while (this.#sending) await this.#sending;
  }

  /** Sends what is queued, then ends the connection; later hints are dropped. Idempotent. */
  async close(): Promise<void> {
    // refuse new hints first, so that no batch timer is armed after the last flush
    this.#closed = true;
    await this.flush();
    await this.#connection?.end();
    this.#connection = undefined;
  }

  #seal(): void {
    if (this.#batch.length === 0) return;
    const payload = encodePayload(this.#options.nodeId, this.#payloadNumber++, this.#batch, this.#options.secret);
    this.#outbox.push({ payload, hints: this.#batch.length });
    this.#batch = [];
    this.#batchBytes = 0;
  }

  #flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#seal();
    this.#drain();
  }

  /** Sends the outbox, one payload at a time, unless that already runs. */
  #drain(): void {
    if (this.#sending || this.#outbox.length === 0) return;
    this.#sending = (async () => {
      for (let next = this.#outbox.shift(); next; next = this.#outbox.shift()) await this.#send(next.payload, next.hints);
    })().finally(() => {
      this.#sending = undefined;
      // hints queued while the last payload was in flight
      if (this.#outbox.length > 0) this.#drain();
    });
  }

  async #send(payload: string, hints: number): Promise<void> {
    try {
      const connection = await this.#connected();
      await connection.client.query("SELECT pg_notify($1, $2)", [this.#options.channel, payload]);
      this.sent += hints;
      this.#failures = 0;
    } catch (error) {
      this.unsent += hints;
      if (Date.now() >= this.#retryAt) {
        this.#retryAt = Date.now() + backoffMs(this.#failures++, 100, MAX_BACKOFF_MS);
        this.#options.onWarning(`${hints} hints could not be sent and were dropped`, error);
      }
      const broken = this.#connection;
      this.#connection = undefined;
      await broken?.end();
    }
  }

  async #connected(): Promise<DedicatedConnection> {
    if (this.#connection && !this.#connection.lost) return this.#connection;
    if (Date.now() < this.#retryAt) throw new Error("the notifier connection is down");
    const connection = await DedicatedConnection.open(this.#options.connectionString, this.#options.applicationName, (error) => {
      this.#options.onWarning("the notifier connection was lost", error);
    });
    try {
      await connection.client.query("SET synchronous_commit TO off");
    } catch (error) {
      await connection.end();
      throw error;
    }
    this.#connection = connection;
    return connection;
  }
}
