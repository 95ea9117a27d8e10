import { createHash, randomBytes } from "node:crypto";
import { PlanroomError, hasVoterRole, isNamedReviewer, type Principal, type Role } from "../../shared/index.js";
import { canVote, type AccessSubject } from "./access-rules.js";
import type { PrincipalConfig } from "./principal-config.js";

const HASH_PREFIX = "sha256:";
const HEX64 = /^[0-9a-f]{64}$/;

/** How many voter specs (voter roles and a policy's reviewers) {@link PrincipalRegistry.eligibleVoters} keeps counts for. */
const VOTER_COUNT_CACHE_SIZE = 1_000;

/** The SHA-256 digest of a token, as lowercase hex. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Maps bearer tokens to principals. Tokens are kept only as SHA-256 digests. */
export class PrincipalRegistry {
  private readonly byHash = new Map<string, Principal>();
  private readonly byId = new Map<string, Principal>();
  /**
   * For each voter spec seen (the voter roles and a policy's reviewers, as sets), how many
   * principals have one of those roles and are named by id or role: counted once, over every
   * principal, then kept, so that a vote costs nothing per principal. The principals are fixed
   * for the registry's lifetime; anything that ever changes them must clear this. Least recently
   * used specs go first once there are {@link VOTER_COUNT_CACHE_SIZE}.
   */
  private readonly namedVoters = new Map<string, number>();

  constructor(principals: readonly PrincipalConfig[]) {
    for (const p of principals) {
      const token = p.token.toLowerCase();
      const digest = token.startsWith(HASH_PREFIX) && HEX64.test(token.slice(HASH_PREFIX.length)) ? token.slice(HASH_PREFIX.length) : hashToken(p.token);
      const principal: Principal = { id: p.id, name: p.name, roles: [...new Set(p.roles)] };
      if (this.byId.has(p.id)) throw new PlanroomError("VALIDATION", `principal id "${p.id}" is configured twice`, [{ path: ["principals"], message: `id "${p.id}" appears twice` }]);
      if (this.byHash.has(digest)) throw new PlanroomError("VALIDATION", `principal "${p.id}" shares its token with "${this.byHash.get(digest)?.id}"`, [{ path: ["principals"], message: "every principal needs its own token" }]);
      this.byHash.set(digest, principal);
      this.byId.set(p.id, principal);
    }
  }

  /** The principal a token belongs to, if any. */
  authenticate(token: unknown): Principal | undefined {
    if (typeof token !== "string" || token.length === 0 || token.length > 512) return undefined;
    return this.byHash.get(hashToken(token));
  }

  /** The principal with this id, if any. */
  get(id: string): Principal | undefined {
    return this.byId.get(id);
  }

  /** Every principal. */
  all(): Principal[] {
    return [...this.byId.values()];
  }

  /**
   * How many principals may vote on a plan with this policy and submitter under the server's
   * voter roles: exactly the principals `canVote` (in `access-rules.ts`) lets vote, counted in
   * time independent of the number of principals once the spec was seen (the submitter is
   * taken off the kept count unless the policy allows self-approval).
   */
  eligibleVoters(subject: AccessSubject, voterRoles: readonly Role[]): number {
    const { reviewers } = subject.policy;
    const key = JSON.stringify([[...new Set(voterRoles)].sort(), [...new Set(reviewers)].sort()]);
    // The rule is `canVote`'s, asked as if self-approval were allowed: the count then depends on the spec alone.
    const anyone: AccessSubject = { ...subject, policy: { ...subject.policy, allowSelfApproval: true } };
    let named = this.namedVoters.get(key);
    if (named === undefined) {
      named = 0;
      for (const p of this.byId.values()) if (canVote(anyone, p, voterRoles)) named++;
      if (this.namedVoters.size >= VOTER_COUNT_CACHE_SIZE) this.namedVoters.delete(this.namedVoters.keys().next().value as string);
    } else this.namedVoters.delete(key);
    this.namedVoters.set(key, named);
    if (subject.policy.allowSelfApproval) return named;
    const submitter = this.byId.get(subject.submittedBy.id);
    // On every vote, so checked directly (one read of the submitter's roles); test/server/auth/eligible-voters.test.ts pins it to canVote.
    return submitter && hasVoterRole(submitter, voterRoles) && isNamedReviewer(submitter, { reviewers }) ? named - 1 : named;
  }

  /** How many principals. */
  get size(): number {
    return this.byId.size;
  }
}

/** A fresh random token (192 bits, URL-safe). */
function randomToken(): string {
  return randomBytes(24).toString("base64url");
}

/** A development set: one agent, three reviewers, one observer, each with a random token. */
export function createDevPrincipals(): PrincipalConfig[] {
  const make = (id: string, name: string, roles: Role[]): PrincipalConfig => ({ id, name, roles, token: randomToken() });
  return [
    make("agent-1", "Agent", ["agent"]),
    make("reviewer-1", "Reviewer 1", ["reviewer"]),
    make("reviewer-2", "Reviewer 2", ["reviewer"]),
    make("reviewer-3", "Reviewer 3", ["reviewer"]),
    make("observer-1", "Observer", ["observer"]),
  ];
}

/** The key under which the generated development principals are stored. */
export const DEV_PRINCIPALS_KEY = "dev-principals";
