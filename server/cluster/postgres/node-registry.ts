import type pg from "pg";

/** A presence or route row removed because its node is dead. */
export interface SweptRow {
  kind: "presence" | "route";
  planId: string;
  /** The dead node the row was of. */
  nodeId: string;
}

/** Options of {@link NodeRegistry}. */
export interface NodeRegistryOptions {
  pool: pg.Pool;
  nodeId: string;
  /** How often this node heartbeats and sweeps. */
  heartbeatMs: number;
  /** A node whose last heartbeat is older than this (database clock) is dead. */
  deadAfterMs: number;
  /** Rows of dead nodes removed by this node's sweep. */
  onSwept: (rows: SweptRow[]) => void;
  /** This node's row was gone at a heartbeat (swept as dead, or emptied by a database crash): its rows must be written again. */
  onRowLost: () => void;
  onWarning: (message: string, error?: unknown) => void;
}

/**
 * The `nodes` table: this node's row and heartbeat, and the sweep of dead nodes.
 *
 * Every `heartbeatMs` the node sets its `heartbeat_at` to the database's `now()` and then sweeps:
 * one statement deletes the rows of nodes whose heartbeat is older than `deadAfterMs`, with their
 * presence and routes, and any presence or route whose node has no row at all. Any node may sweep;
 * a node whose own row was deleted learns it at its next heartbeat (the upsert inserts).
 */
export class NodeRegistry {
  readonly #options: NodeRegistryOptions;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #tick: Promise<void> | undefined;
  #running = false;

  constructor(options: NodeRegistryOptions) {
    this.#options = options;
  }

  /** Writes this node's row (again: a fresh heartbeat); returns whether the row was missing. */
  async heartbeat(): Promise<boolean> {
    const { rows } = await this.#options.pool.query<{ inserted: boolean }>(
      `INSERT INTO nodes (node_id) VALUES ($1)
       ON CONFLICT (node_id) DO UPDATE SET heartbeat_at = now()
       RETURNING (xmax = 0) AS inserted`,
      [this.#options.nodeId],
    );
    return rows[0]?.inserted === true;
  }

  /** Deletes dead nodes with their presence and routes; returns the presence and route rows removed. */
  async sweep(): Promise<SweptRow[]> {
    const { rows } = await this.#options.pool.query<{ kind: "presence" | "route"; plan_id: string; node_id: string }>(
      `WITH gone AS (DELETE FROM nodes WHERE heartbeat_at < now() - $1::int * interval '1 millisecond' RETURNING node_id),
            p AS (DELETE FROM presence WHERE node_id IN (SELECT node_id FROM gone) OR node_id NOT IN (SELECT node_id FROM nodes) RETURNING plan_id, node_id),
            r AS (DELETE FROM agent_routes WHERE node_id IN (SELECT node_id FROM gone) OR node_id NOT IN (SELECT node_id FROM nodes) RETURNING plan_id, node_id)
       SELECT 'presence' AS kind, plan_id, node_id FROM p
       UNION SELECT 'route' AS kind, plan_id, node_id FROM r`,
      [this.#options.deadAfterMs],
    );
    return rows.map((r) => ({ kind: r.kind, planId: r.plan_id, nodeId: r.node_id }));
  }

  /** Starts heartbeating and sweeping every `heartbeatMs` (the first time after one period). */
  start(): void {
    this.#running = true;
    this.#schedule();
  }

  /** Stops the heartbeats and waits for a tick in progress. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#tick;
  }

  /** Deletes this node's row, presence and routes; returns the plans whose presence or route went. */
  async deregister(): Promise<{ presence: string[]; routes: string[] }> {
    const { rows } = await this.#options.pool.query<{ kind: "presence" | "route"; plan_id: string }>(
      `WITH n AS (DELETE FROM nodes WHERE node_id = $1),
            p AS (DELETE FROM presence WHERE node_id = $1 RETURNING plan_id),
            r AS (DELETE FROM agent_routes WHERE node_id = $1 RETURNING plan_id)
       SELECT 'presence' AS kind, plan_id FROM p UNION SELECT 'route' AS kind, plan_id FROM r`,
      [this.#options.nodeId],
    );
    return { presence: rows.filter((r) => r.kind === "presence").map((r) => r.plan_id), routes: rows.filter((r) => r.kind === "route").map((r) => r.plan_id) };
  }

  #schedule(): void {
    if (!this.#running) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#tick = this.#beat().finally(() => {
        this.#tick = undefined;
        this.#schedule();
      });
    }, this.#options.heartbeatMs);
  }

  async #beat(): Promise<void> {
    try {
      if (await this.heartbeat()) this.#options.onRowLost();
    } catch (error) {
      this.#options.onWarning("the node heartbeat failed", error);
      return;
    }
    try {
      const swept = await this.sweep();
      if (swept.length > 0) this.#options.onSwept(swept);
    } catch (error) {
      this.#options.onWarning("the sweep of dead nodes failed", error);
    }
  }
}
