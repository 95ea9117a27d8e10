import { z } from "zod";

/** Principal roles; `metrics` grants nothing but reading `GET /metrics` (as `admin` does too). */
export const RoleSchema = z.enum(["agent", "reviewer", "observer", "admin", "metrics"]);
/** One of {@link RoleSchema}'s values. */
export type Role = z.infer<typeof RoleSchema>;

/** An authenticated identity, as the server maps it from a token. */
export const PrincipalSchema = z.object({
  id: z.string().min(1).max(128),
  name: z.string().min(1).max(256),
  roles: z.array(RoleSchema).min(1),
});
/** An authenticated identity. */
export type Principal = z.infer<typeof PrincipalSchema>;

/** Who may vote, how many approvals decide, and when an unanswered request expires. */
export const ApprovalPolicySchema = z.strictObject({
  /** Approvals needed. */
  quorum: z.number().int().min(1).max(1_000).default(1),
  /** Principal ids and/or role names allowed to vote. Default: anyone with the `reviewer` role. */
  reviewers: z.array(z.string().min(1).max(128)).max(1_000).default(["reviewer"]),
  /** One rejection rejects the plan. When false, the plan is rejected once quorum can no longer be reached. */
  vetoOnReject: z.boolean().default(true),
  /** Whether the submitter may approve its own plan. */
  allowSelfApproval: z.boolean().default(false),
  /** The request expires this long after submission (or revision) if undecided. */
  expiresInMs: z.number().int().min(1).max(30 * 86_400_000).optional(),
  /** Reviewers (not only the submitter and admins) may cancel the plan. */
  reviewersMayCancel: z.boolean().default(false),
});
/** A fully defaulted approval policy. */
export type ApprovalPolicy = z.output<typeof ApprovalPolicySchema>;
/** An approval policy as written in a submission. */
export type ApprovalPolicyInput = z.input<typeof ApprovalPolicySchema>;

/** A vote's decision. */
export const VoteDecisionSchema = z.enum(["approve", "reject"]);

/** A vote, bound to the principal that cast it. */
export const VoteSchema = z.object({
  voterId: z.string(),
  voterName: z.string(),
  decision: VoteDecisionSchema,
  comment: z.string().max(2_000).optional(),
  version: z.number().int().min(1),
  at: z.number(),
});
/** A vote, bound to the principal that cast it. */
export type Vote = z.infer<typeof VoteSchema>;
