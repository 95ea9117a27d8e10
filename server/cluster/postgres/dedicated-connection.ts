import pg from "pg";

/** How long connecting a dedicated connection may take. */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * A PostgreSQL connection of its own (not pooled, TCP keep-alive on). `onLost` is called once if
 * it fails or ends other than through {@link DedicatedConnection.end}; an `error` event is always
 * handled here, so it never crashes the process.
 */
export class DedicatedConnection {
  readonly client: pg.Client;
  #done = false;

  private constructor(client: pg.Client) {
    this.client = client;
  }

  /** Connects; rejects when the server cannot be reached. */
  static async open(connectionString: string, applicationName: string, onLost: (error: Error | undefined) => void): Promise<DedicatedConnection> {
    const client = new pg.Client({ connectionString, application_name: applicationName, keepAlive: true, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    const connection = new DedicatedConnection(client);
    let opened = false;
    const lose = (error: Error | undefined): void => {
      if (!opened || connection.#done) return;
      connection.#done = true;
      onLost(error);
      void client.end().catch(() => undefined);
    };
    client.on("error", (error) => lose(error));
    client.on("end", () => lose(undefined));
    try {
      await client.connect();
    } catch (error) {
      connection.#done = true;
      await client.end().catch(() => undefined);
      throw error;
    }
    opened = true;
    return connection;
  }

  /** Whether it failed, ended or was ended. */
  get lost(): boolean {
    return this.#done;
  }

  /** Ends it (no `onLost`), without failing on a server that is gone. */
  async end(): Promise<void> {
    this.#done = true;
    await this.client.end().catch(() => undefined);
  }
}

/** The delay before reconnect attempt `attempt` (0 first): doubling from `initialMs`, capped at `maxMs`. */
export function backoffMs(attempt: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
}
