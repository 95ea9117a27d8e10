import type pg from "pg";
import type { ClusterPresenceMember, PresenceJoin } from "../cluster.js";

/**
 * The `presence` table as one node writes it: its sockets' rows, also kept in memory so that they
 * can be written again when the table lost them (a database crash empties UNLOGGED tables; a
 * sweep removes the rows of a node that looked dead).
 */
export class PresenceTable {
  readonly #pool: pg.Pool;
  readonly #nodeId: string;
  /** `planId` NUL `socketId` → this node's member. */
  readonly #own = new Map<string, PresenceJoin>();

  constructor(pool: pg.Pool, nodeId: string) {
    this.#pool = pool;
    this.#nodeId = nodeId;
  }

  /** Writes a socket's row (replacing one of the same plan and socket). */
  async join(member: PresenceJoin): Promise<void> {
    this.#own.set(key(member.planId, member.socketId), member);
    await this.#pool.query(
      `INSERT INTO presence (plan_id, socket_id, node_id, principal_id, name, roles) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (plan_id, socket_id) DO UPDATE SET node_id = EXCLUDED.node_id, principal_id = EXCLUDED.principal_id, name = EXCLUDED.name, roles = EXCLUDED.roles`,
      [member.planId, member.socketId, this.#nodeId, member.principalId, member.name, member.roles],
    );
  }

  /** Deletes a socket's row, if it is this node's; returns whether it did. */
  async leave(planId: string, socketId: string): Promise<boolean> {
    this.#own.delete(key(planId, socketId));
    const { rowCount } = await this.#pool.query("DELETE FROM presence WHERE plan_id = $1 AND socket_id = $2 AND node_id = $3", [planId, socketId, this.#nodeId]);
    return (rowCount ?? 0) > 0;
  }

  /** One entry per principal in the plan, from any node, in the order the principals came. */
  async of(planId: string): Promise<ClusterPresenceMember[]> {
    const { rows } = await this.#pool.query<{ principal_id: string; name: string; roles: string[] }>(
      `SELECT principal_id, name, roles FROM (
         SELECT DISTINCT ON (principal_id) principal_id, name, roles, joined_at FROM presence WHERE plan_id = $1 ORDER BY principal_id, joined_at
       ) m ORDER BY joined_at, principal_id`,
      [planId],
    );
    return rows.map((r) => ({ principalId: r.principal_id, name: r.name, roles: r.roles }));
  }

  /** Writes this node's rows that are missing again; returns the plans they are in. */
  async restore(): Promise<string[]> {
    const members = [...this.#own.values()];
    if (members.length === 0) return [];
    await this.#pool.query(
      `INSERT INTO presence (plan_id, socket_id, node_id, principal_id, name, roles)
       SELECT m.plan_id, m.socket_id, $2, m.principal_id, m.name, m.roles
         FROM json_to_recordset($1::json) AS m(plan_id text, socket_id text, principal_id text, name text, roles text[])
       ON CONFLICT (plan_id, socket_id) DO NOTHING`,
      [
        JSON.stringify(members.map((m) => ({ plan_id: m.planId, socket_id: m.socketId, principal_id: m.principalId, name: m.name, roles: m.roles }))),
        this.#nodeId,
      ],
    );
    return [...new Set(members.map((m) => m.planId))];
  }

  /** Forgets this node's rows (they were deleted with the node). */
  forget(): void {
    this.#own.clear();
  }
}

function key(planId: string, socketId: string): string {
  return `${planId}\u0000${socketId}`;
}
