import { createHash, randomBytes } from "node:crypto";
import { PlanroomError, type Principal, type Role } from "../../shared/index.js";
import type { PrincipalConfig } from "./principal-config.js";

const HASH_PREFIX = "sha256:";
const HEX64 = /^[0-9a-f]{64}$/;

/** The SHA-256 digest of a token, as lowercase hex. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Maps bearer tokens to principals. Tokens are kept only as SHA-256 digests. */
export class PrincipalRegistry {
  private readonly byHash = new Map<string, Principal>();
  private readonly byId = new Map<string, Principal>();

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
