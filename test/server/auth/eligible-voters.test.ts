import { afterEach, describe, expect, it, vi } from "vitest";
import { ApprovalPolicySchema, type ApprovalPolicyInput, type Role } from "../../../shared/index.js";
import type { PlanroomServer } from "../../../server/app/create-server.js";
import { canVote, type AccessSubject } from "../../../server/auth/access-rules.js";
import type { PrincipalConfig } from "../../../server/auth/principal-config.js";
import { PrincipalRegistry } from "../../../server/auth/principals.js";
import { chainPlan, connect, startTestServer, type TestClient } from "../../support/planroom-test-kit.js";

const config = (id: string, roles: Role[]): PrincipalConfig => ({ id, name: id, roles, token: `${id}-token-secret-000` });
const PRINCIPALS: PrincipalConfig[] = [
  config("agent-1", ["agent"]),
  config("agent-rev", ["agent", "reviewer"]),
  config("rev-1", ["reviewer"]),
  config("rev-2", ["reviewer"]),
  config("lead", ["reviewer", "admin"]),
  config("obs", ["observer"]),
  config("root", ["admin"]),
];

const subject = (input: ApprovalPolicyInput, submittedBy: string): AccessSubject => ({ policy: ApprovalPolicySchema.parse(input), submittedBy: { id: submittedBy, name: submittedBy } });

/** The count as `canVote` defines it: every principal checked. */
function directCount(registry: PrincipalRegistry, s: AccessSubject, voterRoles: readonly Role[]): number {
  return registry.all().filter((p) => canVote(s, p, voterRoles)).length;
}

/** Counts reads of `roles` on the registry's principals other than `except` (every count over the principals reads them). */
function watchRoles(registry: PrincipalRegistry, except: readonly string[] = []): { reads: () => number } {
  let reads = 0;
  for (const p of registry.all()) {
    if (except.includes(p.id)) continue;
    const roles = p.roles;
    Object.defineProperty(p, "roles", {
      get: () => {
        reads++;
        return roles;
      },
    });
  }
  return { reads: () => reads };
}

describe("PrincipalRegistry.eligibleVoters", () => {
  const policies: ApprovalPolicyInput[] = [
    {},
    { reviewers: ["reviewer"], allowSelfApproval: true },
    { reviewers: ["rev-1", "ghost", "obs"] },
    { reviewers: ["admin"] },
    { reviewers: ["admin", "reviewer", "rev-1"], allowSelfApproval: true },
    { reviewers: ["agent-rev", "agent-rev", "agent"] },
    { reviewers: ["agent-rev", "agent"], allowSelfApproval: true },
    { reviewers: ["ghost", "nobody"] },
    { reviewers: ["observer", "root"] },
  ];
  const submitters = ["agent-1", "agent-rev", "lead", "rev-1", "not-configured"];
  const voterRoleSets: Role[][] = [["reviewer"], ["reviewer", "admin"], ["admin", "reviewer", "admin"], ["agent"], ["observer"]];

  it("answers what checking every principal with canVote answers, for every policy, submitter and voterRoles rule", () => {
    const registry = new PrincipalRegistry(PRINCIPALS);
    for (const voterRoles of voterRoleSets) {
      for (const input of policies) {
        for (const submittedBy of submitters) {
          const s = subject(input, submittedBy);
          // Twice: the first answer may count, the second comes from what was kept.
          expect([registry.eligibleVoters(s, voterRoles), registry.eligibleVoters(s, voterRoles)], JSON.stringify({ voterRoles, input, submittedBy })).toEqual([
            directCount(registry, s, voterRoles),
            directCount(registry, s, voterRoles),
          ]);
        }
      }
    }
  });

  it("takes the submitter off only where it could vote and the policy does not allow self-approval", () => {
    const registry = new PrincipalRegistry(PRINCIPALS);
    const reviewerRule: Role[] = ["reviewer"];
    expect(registry.eligibleVoters(subject({}, "agent-1"), reviewerRule)).toBe(4);
    expect(registry.eligibleVoters(subject({}, "agent-rev"), reviewerRule)).toBe(3);
    expect(registry.eligibleVoters(subject({ allowSelfApproval: true }, "agent-rev"), reviewerRule)).toBe(4);
    // Named by id but not configured: nobody to count, nobody to take off.
    expect(registry.eligibleVoters(subject({ reviewers: ["ghost"] }, "ghost"), reviewerRule)).toBe(0);
    expect(registry.eligibleVoters(subject({ reviewers: ["rev-1", "ghost"] }, "rev-1"), reviewerRule)).toBe(0);
    // Named, but without a voter role: not counted, so not taken off.
    expect(registry.eligibleVoters(subject({ reviewers: ["reviewer", "root"] }, "root"), reviewerRule)).toBe(4);
  });

  it("keys what it keeps by the sets of voter roles and reviewers: order and repeats do not matter, other specs are counted anew", () => {
    const registry = new PrincipalRegistry(PRINCIPALS);
    // rev-1 by id; lead and root by the role admin.
    expect(registry.eligibleVoters(subject({ reviewers: ["rev-1", "admin"] }, "agent-1"), ["reviewer", "admin"])).toBe(3);
    const watched = watchRoles(registry);
    expect(registry.eligibleVoters(subject({ reviewers: ["admin", "rev-1", "admin"] }, "agent-1"), ["admin", "reviewer"])).toBe(3);
    expect(watched.reads()).toBe(1); // the submitter's roles, nobody else's
    // Another voterRoles rule: root may not vote under it.
    expect(registry.eligibleVoters(subject({ reviewers: ["rev-1", "admin"] }, "agent-1"), ["reviewer"])).toBe(2);
    expect(watched.reads()).toBeGreaterThanOrEqual(PRINCIPALS.length);
  });

  it("counts 10,000 principals once per spec; later answers read only the submitter", () => {
    const many = Array.from({ length: 10_000 }, (_, i) => config(`p-${i}`, [i % 10 === 0 ? "observer" : "reviewer"]));
    const registry = new PrincipalRegistry(many);
    const watched = watchRoles(registry);
    expect(registry.eligibleVoters(subject({}, "p-1"), ["reviewer"])).toBe(8_999);
    const afterFirst = watched.reads();
    expect(afterFirst).toBeGreaterThanOrEqual(10_000);
    expect(registry.eligibleVoters(subject({}, "p-2"), ["reviewer"])).toBe(8_999);
    expect(registry.eligibleVoters(subject({ allowSelfApproval: true }, "p-3"), ["reviewer"])).toBe(9_000);
    expect(registry.eligibleVoters(subject({}, "p-10"), ["reviewer"])).toBe(9_000);
    // At most two reads of the submitter's roles per answer (its voter role, whether it is named).
    expect(watched.reads() - afterFirst).toBeLessThanOrEqual(6);
  });

  it("still answers correctly once more specs were seen than it keeps", () => {
    const registry = new PrincipalRegistry(PRINCIPALS);
    for (let i = 0; i < 1_100; i++) expect(registry.eligibleVoters(subject({ reviewers: ["rev-1", `ghost-${i}`] }, "agent-1"), ["reviewer"])).toBe(1);
    for (const input of policies) expect(registry.eligibleVoters(subject(input, "lead"), ["reviewer"])).toBe(directCount(registry, subject(input, "lead"), ["reviewer"]));
  });
});

describe("a vote over the wire", () => {
  const servers: PlanroomServer[] = [];
  const clients: TestClient[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    for (const c of clients.splice(0)) c.close();
    for (const s of servers.splice(0)) await s.close();
  });

  it("reads nothing of the principals other than the voter and the submitter", async () => {
    const counted = vi.spyOn(PrincipalRegistry.prototype, "eligibleVoters");
    const server = await startTestServer({ tools: { t: () => 1 } });
    servers.push(server);
    const agent = await connect(server.url, "agent-1");
    const reviewer = await connect(server.url, "rev-1");
    clients.push(agent, reviewer);
    const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["t"]), approval: { quorum: 2 } });
    // The server's registry: the one the submission asked.
    const registry = counted.mock.contexts[0] as PrincipalRegistry;
    expect(registry).toBeInstanceOf(PrincipalRegistry);
    const watched = watchRoles(registry, ["agent-1", "rev-1"]);
    expect(await reviewer.ok("plan:vote", { planId, version: 1, decision: "approve" })).toMatchObject({ outcome: "pending" });
    expect(counted).toHaveBeenCalledTimes(2);
    expect(watched.reads()).toBe(0);
  });
});
