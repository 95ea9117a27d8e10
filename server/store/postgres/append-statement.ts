import type { QueryConfig } from "pg";
import type { ApprovalPolicy, PlanEvent, PlanListItem } from "../../../shared/index.js";
import type { LeaseToken } from "../store.js";

/** One checked append of one plan: its events (as parsed), its list row and policy after them. */
interface AppendBatch {
  planId: string;
  events: readonly PlanEvent[];
  row: PlanListItem;
  policy: ApprovalPolicy;
  /** `plan.submitted`'s `autoExecute`. */
  autoExecute: boolean;
  lease: LeaseToken | undefined;
}

/** The plan row's columns an append writes ($3..$10 and $14 of both statements). */
const ROW_VALUES = "$3::bigint, $4::text, $5::text, $6::text[], $7::boolean, $8::bigint, $9::jsonb, $10::jsonb, $14::boolean";

/** A cancel request is kept only while the plan stays executing. */
const CANCEL = "cancel_request = CASE WHEN $4::text = 'executing' THEN p.cancel_request END";

/**
 * The append as one statement (one round trip, its own transaction): the plan row moves from the
 * expected head (`events[0].seq - 1`) to the last seq, and the events are inserted only if it did.
 *
 * The UPDATE's WHERE checks the head and, with a lease, the lease owner and epoch and that it has
 * not expired (on the database clock); all of them live in the
 * updated row, so a concurrent append or lease change of the same plan makes this one wait for the
 * row lock and re-evaluate its WHERE on the committed row (READ COMMITTED). No row updated means
 * no event inserted: the caller gets zero rows back and reports CONFLICT. The primary key
 * `(plan_id, seq)` is the second guard. Events are inserted in seq order, so that their change-feed
 * positions (`pos`) follow it.
 *
 * A plan's first events without a lease create its row (or fill a row that only a lease made,
 * `head_seq = 0`): an INSERT … ON CONFLICT DO UPDATE with the same head check.
 */
export function appendStatement(batch: AppendBatch): QueryConfig {
  const head = batch.events[0]!.seq - 1;
  const last = head + batch.events.length;
  const values = [
    batch.planId,
    head,
    last,
    batch.row.status,
    batch.row.submittedBy.id,
    batch.policy.reviewers,
    batch.policy.allowSelfApproval,
    batch.row.createdAt,
    JSON.stringify(batch.row),
    JSON.stringify(batch.policy),
    batch.lease?.owner ?? null,
    batch.lease?.epoch ?? null,
    JSON.stringify(batch.events),
    batch.autoExecute,
  ];
  const columns = "head_seq, status, submitter_id, reviewers, allow_self_approval, created_at, list_row, policy, auto_execute";
  const moved =
    head === 0 && !batch.lease
      ? `INSERT INTO plans AS p (plan_id, ${columns}) VALUES ($1, ${ROW_VALUES})
         ON CONFLICT (plan_id) DO UPDATE SET (${columns}, updated_at) = (${ROW_VALUES}, now()), ${CANCEL}
          WHERE p.head_seq = $2 AND $11::text IS NULL
         RETURNING p.plan_id`
      : `UPDATE plans AS p SET (${columns}, updated_at) = (${ROW_VALUES}, now()), ${CANCEL}
          WHERE p.plan_id = $1 AND p.head_seq = $2
            AND ($11::text IS NULL OR (p.lease_owner = $11 AND p.lease_epoch = $12::bigint
                                       AND (p.lease_expires_at IS NULL OR p.lease_expires_at > now())))
         RETURNING p.plan_id`;
  return {
    text: `WITH moved AS (${moved})
      INSERT INTO plan_events (plan_id, seq, type, body, lease_epoch)
      SELECT moved.plan_id, $2::bigint + e.ord, e.body->>'type', e.body, $12::bigint
        FROM moved, json_array_elements($13::json) WITH ORDINALITY AS e(body, ord)
       ORDER BY e.ord
      RETURNING seq`,
    values,
  };
}
