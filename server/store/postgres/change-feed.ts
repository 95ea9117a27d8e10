import type pg from "pg";
import type { FeedCursor } from "../store.js";

/**
 * The lossless change feed over `plan_events` (see {@link Store.readFeed}): rows are read in
 * `(tx_id, pos)` order, and only rows of transactions below the current snapshot's xmin. Every
 * transaction below xmin has finished, and every later one gets an id at or above it, so no row
 * can ever appear behind the cursor: a transaction still open holds the feed back instead of being
 * skipped (a plain `pos > $last` reader would skip its rows once they commit). Per plan, an append
 * commits only after the previous one did (the row lock and the head check), so its transaction id
 * is greater, and the feed gives each plan's events in seq order.
 */
export async function readFeed(
  pool: pg.Pool,
  cursor: FeedCursor | undefined,
  limit: number,
): Promise<{ changes: { planId: string; seq: number }[]; cursor: FeedCursor }> {
  const from = cursor ?? { tx: "0", pos: 0 };
  const { rows } = await pool.query<{ plan_id: string; seq: number; tx: string; pos: number }>(
    `SELECT plan_id, seq, tx_id::text AS tx, pos FROM plan_events
      WHERE (tx_id, pos) > ($1::xid8, $2::bigint) AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
      ORDER BY tx_id, pos
      LIMIT $3`,
    [from.tx, from.pos, Math.max(0, Math.floor(limit))],
  );
  const last = rows.at(-1);
  return {
    changes: rows.map((r) => ({ planId: r.plan_id, seq: r.seq })),
    cursor: last ? { tx: last.tx, pos: last.pos } : { tx: from.tx, pos: from.pos },
  };
}

/** Where a feed starts so that nothing committed after this call is missed: the current snapshot's xmin, position 0. */
export async function feedStart(pool: pg.Pool): Promise<FeedCursor> {
  const { rows } = await pool.query<{ tx: string }>("SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS tx");
  return { tx: rows[0]!.tx, pos: 0 };
}
