import type pg from "pg";
import type { AgentRoute } from "../cluster.js";

/**
 * The `agent_routes` table as one node writes it: a plan's route is the node and socket serving
 * its agent. This node's routes are also kept in memory, to be written again when the table lost
 * them (a database crash, a sweep); a route another node has taken meanwhile is left alone.
 */
export class RouteTable {
  readonly #pool: pg.Pool;
  readonly #nodeId: string;
  /** Plan id → this node's socket serving its agent. */
  readonly #own = new Map<string, string>();

  constructor(pool: pg.Pool, nodeId: string) {
    this.#pool = pool;
    this.#nodeId = nodeId;
  }

  /** Makes this node's socket the plan's route. */
  async set(planId: string, socketId: string): Promise<void> {
    this.#own.set(planId, socketId);
    await this.#pool.query(
      `INSERT INTO agent_routes (plan_id, node_id, socket_id) VALUES ($1, $2, $3)
       ON CONFLICT (plan_id) DO UPDATE SET node_id = EXCLUDED.node_id, socket_id = EXCLUDED.socket_id, since = now()`,
      [planId, this.#nodeId, socketId],
    );
  }

  /** Deletes the plan's route if it still is this node's through `socketId`; returns whether it did. */
  async clear(planId: string, socketId: string): Promise<boolean> {
    if (this.#own.get(planId) === socketId) this.#own.delete(planId);
    const { rowCount } = await this.#pool.query("DELETE FROM agent_routes WHERE plan_id = $1 AND node_id = $2 AND socket_id = $3", [planId, this.#nodeId, socketId]);
    return (rowCount ?? 0) > 0;
  }

  /** The plan's route, if any. */
  async of(planId: string): Promise<AgentRoute | undefined> {
    const { rows } = await this.#pool.query<{ node_id: string; socket_id: string }>("SELECT node_id, socket_id FROM agent_routes WHERE plan_id = $1", [planId]);
    const row = rows[0];
    // another node took the plan: this node's route is not to be restored any more
    if (row && row.node_id !== this.#nodeId) this.#own.delete(planId);
    return row ? { nodeId: row.node_id, socketId: row.socket_id } : undefined;
  }

  /** Writes this node's routes that are missing again (a route another node holds stays); returns their plans. */
  async restore(): Promise<string[]> {
    const routes = [...this.#own];
    if (routes.length === 0) return [];
    await this.#pool.query(
      `INSERT INTO agent_routes (plan_id, node_id, socket_id)
       SELECT r.plan_id, $3, r.socket_id FROM unnest($1::text[], $2::text[]) AS r(plan_id, socket_id)
       ON CONFLICT (plan_id) DO NOTHING`,
      [routes.map(([planId]) => planId), routes.map(([, socketId]) => socketId), this.#nodeId],
    );
    return routes.map(([planId]) => planId);
  }

  /** Forgets this node's routes (they were deleted with the node). */
  forget(): void {
    this.#own.clear();
  }
}
