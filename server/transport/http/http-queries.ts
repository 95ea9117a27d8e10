import { z } from "zod";
import { COMMANDS, parseInputOrThrow, type CommandPayload } from "../../../shared/index.js";

/** A query string as Express parses it: a key may repeat (an array) or nest. */
type Query = Record<string, unknown>;

/** A decimal integer in a query is a number; anything else stays as it is, for the schema to report. */
function numberOf(value: unknown): unknown {
  return typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value;
}

/** `status=a,b` and `status=a&status=b` both mean the list `[a, b]`. */
function listOf(value: unknown): unknown {
  if (typeof value === "string") return value.split(",").map((s) => s.trim());
  if (Array.isArray(value)) return (value as unknown[]).flatMap((v) => (typeof v === "string" ? v.split(",").map((s) => s.trim()) : [v]));
  return value;
}

/** `true` and `false` in a query are booleans; anything else stays as it is, for the schema to report. */
function booleanOf(value: unknown): unknown {
  return value === "true" ? true : value === "false" ? false : value;
}

/**
 * `GET /api/plans`: the query is the `plans:list` command's payload (same schema, so the same
 * errors: an unknown key or status is a `400 VALIDATION`), with `status` as a comma list,
 * `mayVote=true` and `createdFrom` / `createdBefore` as epoch ms.
 */
export function plansListQuery(query: Query): CommandPayload<"plans:list"> {
  const { status, limit, mayVote, createdFrom, createdBefore, ...rest } = query;
  const input = {
    ...rest,
    ...(status !== undefined ? { status: listOf(status) } : {}),
    ...(limit !== undefined ? { limit: numberOf(limit) } : {}),
    ...(mayVote !== undefined ? { mayVote: booleanOf(mayVote) } : {}),
    ...(createdFrom !== undefined ? { createdFrom: numberOf(createdFrom) } : {}),
    ...(createdBefore !== undefined ? { createdBefore: numberOf(createdBefore) } : {}),
  };
  return parseInputOrThrow(COMMANDS["plans:list"].input, input, "query of GET /api/plans");
}

/** Most events in one answer of `GET /api/plans/:id`. */
const EVENTS_PAGE = 1_000;

/** The query of `GET /api/plans/:id`: events after `afterSeq` (as `plan:join` takes it), at most `limit`. */
export const PlanReadQuerySchema = z.strictObject({
  afterSeq: COMMANDS["plan:join"].input.shape.afterSeq.default(0),
  limit: z.number().int().min(1).max(EVENTS_PAGE).default(EVENTS_PAGE),
});

/** Parses the query of `GET /api/plans/:id` (see {@link PlanReadQuerySchema}). */
export function planReadQuery(query: Query): z.output<typeof PlanReadQuerySchema> {
  const input = Object.fromEntries(Object.entries(query).map(([key, value]) => [key, numberOf(value)]));
  return parseInputOrThrow(PlanReadQuerySchema, input, "query of GET /api/plans/:id");
}
