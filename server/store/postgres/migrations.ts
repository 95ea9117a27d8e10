import type { Pool } from "pg";

/** One step of the schema: applied once, in `version` order, never edited after release. */
interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The schema, as numbered migrations, in ascending `version` order. The runner applies each
 * version the database lacks, in this order; the numbers need not be contiguous.
 *
 * - `plans`: one row per plan id that has events or has had a lease. `head_seq` is the last
 *   appended seq (0: a lease only, no plan yet); the append's compare-and-set checks it, and the
 *   executor lease (owner, epoch, expiry on the database clock) lives in the same row, so that one
 *   row lock checks both. The list row (`list_row`) is kept in the append's transaction, with the
 *   columns the plan queries filter and order by beside it, and `auto_execute` (from
 *   `plan.submitted`) for the runnable index, which lists the plans that need an executor.
 *   `cancel_request` waits there for the lease holder; the append clears it once the plan leaves
 *   executing.
 * - `plan_events`: the logs. `body` is `json`, not `jsonb`, so that an event reads back as written.
 *   `tx_id` (the inserting transaction) and `pos` order the change feed (see `change-feed.ts`).
 * - `plan_snapshots`: the latest snapshot of a plan (a cache; the log is the truth).
 * - `documents`: small JSON documents.
 * - UNLOGGED (no WAL, emptied by a database crash; their writers restore them): `nodes` (the
 *   cluster's nodes and their heartbeats), `presence` (who is in which plan room, through which
 *   node's socket), `agent_routes` (the node and socket serving a plan's agent) and `tool_calls`
 *   (tool calls relayed between nodes).
 *
 * Plan ids are compared bytewise (`COLLATE "C"`), as the index's order compares them in JavaScript.
 */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "plans, events, snapshots, documents",
    sql: `
      CREATE TABLE plans (
        plan_id             text COLLATE "C" PRIMARY KEY,
        head_seq            bigint  NOT NULL DEFAULT 0,
        status              text,
        submitter_id        text,
        reviewers           text[],
        allow_self_approval boolean,
        created_at          bigint,
        list_row            jsonb,
        policy              jsonb,
        lease_owner         text,
        lease_epoch         bigint  NOT NULL DEFAULT 0,
        updated_at          timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX plans_by_time ON plans (created_at DESC, plan_id) WHERE head_seq > 0;
      CREATE INDEX plans_by_status ON plans (status, created_at DESC, plan_id) WHERE head_seq > 0;
      CREATE INDEX plans_by_submitter ON plans (submitter_id, created_at DESC, plan_id) WHERE head_seq > 0;
      CREATE INDEX plans_by_reviewer ON plans USING gin (reviewers) WHERE head_seq > 0;

      CREATE TABLE plan_events (
        plan_id     text COLLATE "C" NOT NULL REFERENCES plans ON DELETE CASCADE,
        seq         bigint NOT NULL,
        type        text   NOT NULL,
        body        json   NOT NULL,
        lease_epoch bigint,
        created_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (plan_id, seq)
      );

      CREATE TABLE plan_snapshots (
        plan_id text COLLATE "C" PRIMARY KEY REFERENCES plans ON DELETE CASCADE,
        seq     bigint NOT NULL,
        state   json   NOT NULL
      );

      CREATE TABLE documents (
        key        text PRIMARY KEY,
        value      json NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 2,
    name: "lease expiry, auto-execute, cancel requests, change feed",
    sql: `
      ALTER TABLE plans
        ADD COLUMN lease_expires_at timestamptz,
        ADD COLUMN auto_execute     boolean NOT NULL DEFAULT false,
        ADD COLUMN cancel_request   json;
      UPDATE plans p SET auto_execute = coalesce((e.body->'data'->>'autoExecute')::boolean, false)
        FROM plan_events e
       WHERE e.plan_id = p.plan_id AND e.seq = 1 AND e.type = 'plan.submitted';
      CREATE INDEX plans_runnable ON plans (lease_expires_at NULLS FIRST, plan_id)
        WHERE status = 'executing' OR (status = 'approved' AND auto_execute);

      ALTER TABLE plan_events
        ADD COLUMN tx_id xid8   NOT NULL DEFAULT pg_current_xact_id(),
        ADD COLUMN pos   bigint GENERATED ALWAYS AS IDENTITY;
      CREATE INDEX plan_events_feed ON plan_events (tx_id, pos);
    `,
  },
  {
    version: 3,
    name: "cluster: nodes, presence, agent routes, tool calls (unlogged)",
    sql: `
      CREATE UNLOGGED TABLE nodes (
        node_id      text PRIMARY KEY,
        started_at   timestamptz NOT NULL DEFAULT now(),
        heartbeat_at timestamptz NOT NULL DEFAULT now(),
        meta         json
      );

      CREATE UNLOGGED TABLE presence (
        plan_id      text COLLATE "C" NOT NULL,
        socket_id    text NOT NULL,
        node_id      text NOT NULL,
        principal_id text NOT NULL,
        name         text NOT NULL,
        roles        text[] NOT NULL,
        joined_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (plan_id, socket_id)
      );
      CREATE INDEX presence_by_node ON presence (node_id);

      CREATE UNLOGGED TABLE agent_routes (
        plan_id   text COLLATE "C" PRIMARY KEY,
        node_id   text NOT NULL,
        socket_id text NOT NULL,
        since     timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX agent_routes_by_node ON agent_routes (node_id);

      CREATE UNLOGGED TABLE tool_calls (
        call_id         uuid PRIMARY KEY,
        plan_id         text COLLATE "C" NOT NULL,
        idempotency_key text NOT NULL,
        lease_epoch     bigint NOT NULL,
        from_node       text NOT NULL,
        to_node         text NOT NULL,
        request         json NOT NULL,
        state           text NOT NULL CHECK (state IN ('requested', 'sent', 'answered', 'lost', 'cancelled')),
        delivery        json,
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
];

/** Any fixed number: the advisory lock that serialises migrations of one database. */
const MIGRATION_LOCK = 0x706c616e; // "plan"

/**
 * Brings the database's schema up to date; returns the versions it applied (none when another
 * process did it first).
 *
 * A small runner rather than a migration library: the store needs exactly this at open (numbered,
 * forward-only SQL applied in one transaction, nodes that start together applying it once), and
 * PostgreSQL's transactional DDL makes that one transaction under a transaction-scoped advisory
 * lock, which is also released if the connection dies. No CLI, no down migrations, no dependency.
 */
export async function migrate(pool: Pool): Promise<number[]> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS planroom_migrations (
      version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await client.query<{ version: number }>("SELECT version FROM planroom_migrations")).rows.map((r) => r.version));
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      await client.query(migration.sql);
      await client.query("INSERT INTO planroom_migrations (version, name) VALUES ($1, $2)", [migration.version, migration.name]);
      applied.push(migration.version);
    }
    await client.query("COMMIT");
    return applied;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
