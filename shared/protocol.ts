import { z } from "zod";
import { ApprovalPolicySchema, PrincipalSchema, VoteDecisionSchema, VoteSchema } from "./approval-policy.js";
import { ERROR_CODES } from "./errors.js";
import { PlanEventSchema, type PlanEvent } from "./events.js";
import { ExecutionOptionsPatchSchema } from "./execution-options.js";
import { JsonObjectSchema, JsonValueSchema } from "./json.js";
import { PlanStatusSchema } from "./lifecycle.js";
import { PlanIdSchema, PlanInputSchema, PlanSchema } from "./plan.js";
import { StepErrorSchema, StepInputSchema } from "./step.js";

/** The error half of every ack. */
export const WireErrorSchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  issues: z.array(z.object({ path: z.array(z.union([z.string(), z.number()])), message: z.string(), code: z.string().optional() })).optional(),
});
/** The error half of every ack. */
export type WireError = z.infer<typeof WireErrorSchema>;

/** Every acknowledgement has this one shape. */
export type Ack<R> = ({ ok: true } & R) | { ok: false; error: WireError };

/** A member of a room (one per principal, however many sockets it has there), as presence shows it. */
export const PresenceMemberSchema = z.object({ id: z.string(), name: z.string(), roles: PrincipalSchema.shape.roles });
/** A member of a room. */
export type PresenceMember = z.infer<typeof PresenceMemberSchema>;

/**
 * What changed in a room's presence since the previous `presence:delta` (coalesced over a short
 * window): principals whose first socket entered (`joined`) and whose last socket left (`left`, by
 * id). Net per principal: each id appears at most once, with its state at the end of the window.
 * Apply it on top of the join snapshot's `presence` when `rev` is greater than the snapshot's
 * `presenceRev` (an older one is already in the snapshot); `joined` of a member already listed and
 * `left` of one not listed are no-ops.
 */
export const PresenceDeltaSchema = z.object({
  planId: z.string(),
  /** The room's presence revision after this change: 1, 2, 3… per room, each one sent once to every member. */
  rev: z.number().int().min(1),
  joined: z.array(PresenceMemberSchema),
  left: z.array(z.string()),
});
/** A change of a room's presence. */
export type PresenceDelta = z.infer<typeof PresenceDeltaSchema>;

/** One row of `plans:list` / `plans:watch`: enough for a dashboard list. */
export const PlanListItemSchema = z.object({
  id: z.string(),
  description: z.string(),
  status: PlanStatusSchema,
  version: z.number(),
  submittedBy: z.object({ id: z.string(), name: z.string() }),
  createdAt: z.number(),
  updatedAt: z.number(),
  total: z.number(),
  finished: z.number(),
  progress: z.number(),
  approvals: z.number(),
  rejections: z.number(),
  /** Each voter's latest decision on the current version (`approvals` and `rejections` count these). */
  votes: z.array(z.object({ voterId: z.string(), decision: VoteDecisionSchema })).default([]),
  quorum: z.number(),
  seq: z.number(),
});
/** One row of `plans:list`. */
export type PlanListItem = z.infer<typeof PlanListItemSchema>;

/** What `plan:join` answers: the room's state now, and the text reviewers read. */
export const SnapshotSchema = z.object({
  plan: PlanSchema,
  formatted: z.string(),
  policy: ApprovalPolicySchema,
  votes: z.array(VoteSchema),
  submittedBy: z.object({ id: z.string(), name: z.string() }),
  tools: z.array(z.string()),
  autoExecute: z.boolean(),
  /** When the current approval request was opened (submission, last revision or reopening). */
  requestedAt: z.number(),
  /** Who is in the room, in full (later changes come as `presence:delta`). */
  presence: z.array(PresenceMemberSchema),
  /** The presence revision `presence` includes: apply only `presence:delta`s with a greater `rev`. */
  presenceRev: z.number().int().min(0),
  /** The seq of the last event the snapshot includes. */
  seq: z.number().int().min(0),
});
/** What `plan:join` answers. */
export type Snapshot = z.infer<typeof SnapshotSchema>;

const planRef = { planId: PlanIdSchema };
/** An instant as epoch milliseconds. */
const EpochMsSchema = z.number().int().min(0).max(8.64e15);
const listFilter = {
  /** Plans in this status, or in one of these. */
  status: z.union([PlanStatusSchema, z.array(PlanStatusSchema).max(16)]).optional(),
  /** Plans this principal (its id) submitted. */
  submittedBy: z.string().max(128).optional(),
  /**
   * `true`: only plans pending approval that the caller may vote on now (it has one of the server's
   * voter roles, the policy names it, and it is not the plan's own submitter unless the policy allows
   * self-approval); `false` or absent: no such condition.
   */
  mayVote: z.boolean().optional(),
  /** Plans created at or after this instant (epoch ms). */
  createdFrom: EpochMsSchema.optional(),
  /** Plans created before this instant (epoch ms). */
  createdBefore: EpochMsSchema.optional(),
};

/**
 * Which plans `plans:list` and `plans:watch` show: by status (one or several), by submitter, those
 * the caller may vote on (`mayVote`), and by creation time (`createdFrom` ≤ createdAt < `createdBefore`).
 */
export const PlanListFilterSchema = z.strictObject(listFilter);
/** Which plans a list shows. */
export type PlanListFilter = z.output<typeof PlanListFilterSchema>;

/**
 * The client → server commands: for each, the payload schema and the result schema of its ack.
 * One definition types the server's dispatch and the client SDK.
 */
export const COMMANDS = {
  "plan:submit": {
    input: z.strictObject({
      plan: PlanInputSchema,
      approval: ApprovalPolicySchema.prefault({}),
      /** Tools this agent serves itself; the server calls `tool:invoke` on its socket for them. */
      tools: z.array(z.string().trim().min(1).max(128)).max(1_000).default([]),
      /** Start as soon as the plan is approved. */
      autoExecute: z.boolean().default(false),
    }),
    output: z.object({ planId: z.string(), version: z.number(), seq: z.number() }),
  },
  "plan:revise": {
    input: z.strictObject({
      ...planRef,
      /** The version being revised; a stale one is a `CONFLICT`. */
      version: z.number().int().min(1),
      description: z.string().trim().min(1).max(2_000).optional(),
      /** Options to change; those not named keep their values. */
      options: ExecutionOptionsPatchSchema.optional(),
      steps: z.array(StepInputSchema).min(1, "a plan needs at least one step").optional(),
    }),
    output: z.object({ version: z.number(), seq: z.number() }),
  },
  "plan:join": {
    input: z.strictObject({
      ...planRef,
      afterSeq: z.number().int().min(0).optional(),
      /**
       * The plan's submitter serves the plan's tools from this socket from now on (what the SDK asks
       * when it re-joins a plan it submitted with tools); ignored for anyone else.
       */
      serveTools: z.boolean().optional(),
    }),
    output: z.object({ snapshot: SnapshotSchema, events: z.array(PlanEventSchema) }),
  },
  "plan:leave": { input: z.strictObject(planRef), output: z.object({}) },
  "plan:vote": {
    input: z.strictObject({ ...planRef, version: z.number().int().min(1), decision: VoteDecisionSchema, comment: z.string().max(2_000).optional() }),
    output: z.object({ seq: z.number(), outcome: z.enum(["pending", "approved", "rejected"]) }),
  },
  "plan:execute": {
    input: z.strictObject(planRef),
    output: z.object({
      seq: z.number(),
      /**
       * The agent's own tools that the run's unfinished steps call while no connected socket serves
       * them (sorted; absent when every one is served): their steps wait for the agent, then fail
       * with `AGENT_DISCONNECTED` if it stays away past the server's grace period.
       */
      unservedTools: z.array(z.string()).optional(),
    }),
  },
  "plan:cancel": { input: z.strictObject({ ...planRef, reason: z.string().trim().min(1).max(2_000).optional() }), output: z.object({ seq: z.number() }) },
  "plan:resume": { input: z.strictObject(planRef), output: z.object({ seq: z.number(), status: PlanStatusSchema }) },
  "plans:list": {
    input: z.strictObject({ ...listFilter, limit: z.number().int().min(1).max(500).default(50), cursor: z.string().max(200).optional() }),
    output: z.object({ plans: z.array(PlanListItemSchema), nextCursor: z.string().optional() }),
  },
  "plans:watch": { input: PlanListFilterSchema, output: z.object({ plans: z.array(PlanListItemSchema) }) },
  "plans:unwatch": { input: z.strictObject({}), output: z.object({}) },
  /**
   * Who this connection is authenticated as, and the roles whose principals may vote on this server
   * (`approvalRules.voterRoles`; `mayVote` takes them): a principal with none of them never may.
   */
  "session:whoami": { input: z.strictObject({}), output: z.object({ principal: PrincipalSchema, voterRoles: PrincipalSchema.shape.roles }) },
} as const;

/** A command name. */
export type CommandName = keyof typeof COMMANDS;
/** Every command name (the server's allow-list). */
export const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];
/** A command's payload as the client writes it. */
export type CommandInput<C extends CommandName> = z.input<(typeof COMMANDS)[C]["input"]>;
/** A command's payload after validation and defaults. */
export type CommandPayload<C extends CommandName> = z.output<(typeof COMMANDS)[C]["input"]>;
/** A command's successful result. */
export type CommandResult<C extends CommandName> = z.output<(typeof COMMANDS)[C]["output"]>;

/** The server's request to an agent to run one attempt of a step with one of its own tools. */
export const ToolInvokeSchema = z.object({
  planId: z.string(),
  stepId: z.string(),
  tool: z.string(),
  params: JsonObjectSchema,
  attempt: z.number().int().min(1),
  /** `planId:stepId:attempt`: the same key means the same attempt. */
  idempotencyKey: z.string(),
  /** Epoch ms after which the server gives up on this attempt. */
  deadline: z.number(),
  /** Results of the step's dependencies, by step id. */
  dependencies: z.record(z.string(), JsonValueSchema),
  /** The largest result (bytes of UTF-8 JSON) the server accepts; the SDK refuses to send more (`RESULT_TOO_LARGE`). */
  maxResultBytes: z.number().int().positive().optional(),
});
/** The server's request to an agent to run a tool. */
export type ToolInvoke = z.infer<typeof ToolInvokeSchema>;

/** An agent's answer to `tool:invoke`. */
export const ToolResultSchema = z.union([
  z.object({ ok: z.literal(true), result: JsonValueSchema.optional() }),
  z.object({ ok: z.literal(false), error: StepErrorSchema }),
]);
/** An agent's answer to `tool:invoke`. */
export type ToolResult = z.infer<typeof ToolResultSchema>;

/** What the server tells each socket once it is connected (`session:limits`). */
export const SessionLimitsSchema = z.object({
  /** The largest message (bytes) the server takes: its `maxHttpBufferSize`. A larger one makes it drop the connection. */
  maxMessageBytes: z.number().int().positive(),
});
/** See {@link SessionLimitsSchema}. */
export type SessionLimits = z.infer<typeof SessionLimitsSchema>;

/** Events the server sends (Socket.IO typed map). */
export interface ServerToClientEvents {
  /** Sent once, right after the connection: the limits a client must keep to (the SDK checks them before sending). */
  "session:limits": (limits: SessionLimits) => void;
  /** A logged event of a plan this socket may see (room member or watcher). */
  "plan:event": (event: PlanEvent) => void;
  /** Who joined or left a room (coalesced; the full list is the join snapshot's `presence`). */
  "presence:delta": (delta: PresenceDelta) => void;
  /** Run a tool this agent serves; answer through the ack before `deadline`. */
  "tool:invoke": (request: ToolInvoke, ack: (result: ToolResult) => void) => void;
  /** Abort a running tool call (plan cancelled, or the server gave up on the attempt). */
  "tool:cancel": (request: { idempotencyKey: string; reason: string }) => void;
}

/** Commands the client sends (Socket.IO typed map): a payload and an ack callback each. */
export type ClientToServerEvents = {
  [C in CommandName]: (payload: CommandInput<C>, ack: (response: Ack<CommandResult<C>>) => void) => void;
};

/** What the server stores on each socket. */
export interface SocketData {
  principal: z.infer<typeof PrincipalSchema>;
}
