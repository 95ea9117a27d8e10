import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_VOTER_ROLES } from "../../../shared/index.js";
import { parseConfig } from "../../../server/app/config.js";
import type { PlanroomServer } from "../../../server/app/create-server.js";
import { createMemoryStore } from "../../../server/store/memory-store.js";
import { chainPlan, connect, startTestServer, type TestClient } from "../../support/planroom-test-kit.js";

const servers: PlanroomServer[] = [];
const clients: TestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
});
async function start(options: Parameters<typeof startTestServer>[0] = {}): Promise<PlanroomServer> {
  const server = await startTestServer({ tools: { t: () => 1 }, ...options });
  servers.push(server);
  return server;
}
async function join(server: PlanroomServer, id: string): Promise<TestClient> {
  const client = await connect(server.url, id);
  clients.push(client);
  return client;
}

/** Submits a plan whose policy a server with `voterRoles` accepts, then restarts on the same store with the default rules: a plan "stored before the rule". */
async function storedBeforeTheRule(approval: Record<string, unknown>, voterRoles: string[]): Promise<{ server: PlanroomServer; planId: string }> {
  const store = createMemoryStore();
  const before = await start({ store, approvalRules: { voterRoles: voterRoles as never } });
  const agent = await join(before, "agent-1");
  const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["t"]), approval });
  agent.close();
  await before.close();
  servers.splice(servers.indexOf(before), 1);
  return { server: await start({ store }), planId };
}

describe("who may vote (approvalRules.voterRoles) over the wire", () => {
  it("refuses reviewers: [\"agent\"] at submit with VALIDATION, naming the entry and the rule, and stores nothing", async () => {
    const server = await start();
    const agent = await join(server, "agent-1");
    const ack = await agent.cmd("plan:submit", { plan: chainPlan(["t"]), approval: { reviewers: ["agent"] } });
    expect(ack.ok).toBe(false);
    if (ack.ok) return;
    expect(ack.error).toEqual({
      code: "VALIDATION",
      message: 'approval.reviewers[0] ("agent"): this server lets only principals with the role reviewer vote; agent is not one of them',
      issues: [{ path: ["approval", "reviewers", 0], message: "this server lets only principals with the role reviewer vote; agent is not one of them" }],
    });
    expect((await agent.ok("plans:list", {})).plans).toEqual([]);
  });

  it("refuses a policy naming a principal without a voter role by id, and an empty reviewers list", async () => {
    const server = await start();
    const agent = await join(server, "agent-1");
    const byId = await agent.cmd("plan:submit", { plan: chainPlan(["t"]), approval: { reviewers: ["rev-1", "agent-2"] } });
    expect(!byId.ok && byId.error).toMatchObject({ code: "VALIDATION", message: expect.stringContaining("agent-2 has the role agent"), issues: [{ path: ["approval", "reviewers", 1] }] });
    const observer = await agent.cmd("plan:submit", { plan: chainPlan(["t"]), approval: { reviewers: ["obs"] } });
    expect(!observer.ok && observer.error).toMatchObject({ code: "VALIDATION", message: expect.stringContaining("obs has the role observer") });
    const empty = await agent.cmd("plan:submit", { plan: chainPlan(["t"]), approval: { reviewers: [] } });
    expect(!empty.ok && empty.error).toMatchObject({ code: "VALIDATION", issues: [{ path: ["approval", "reviewers"], message: expect.stringContaining("nobody could vote") }] });
    // The default policy (the reviewer role) and reviewers named by id are fine.
    expect((await agent.ok("plan:submit", { plan: chainPlan(["t"]), approval: { reviewers: ["rev-1", "rev-2"] } })).seq).toBe(1);
    expect((await agent.ok("plan:submit", { plan: chainPlan(["t"]) })).seq).toBe(1);
  });

  it("lets admins vote where voterRoles is [\"reviewer\", \"admin\"], and only there", async () => {
    const strict = await start();
    const refused = await (await join(strict, "agent-1")).cmd("plan:submit", { plan: chainPlan(["t"]), approval: { reviewers: ["admin"] } });
    expect(!refused.ok && refused.error.message).toContain("only principals with the role reviewer vote; admin is not one of them");

    const server = await start({ approvalRules: { voterRoles: ["reviewer", "admin"] } });
    const agent = await join(server, "agent-1");
    const root = await join(server, "root");
    expect((await root.ok("session:whoami", {})).voterRoles).toEqual(["reviewer", "admin"]);
    const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["t"]), approval: { reviewers: ["admin", "rev-1"], quorum: 2 } });
    expect((await root.ok("plan:vote", { planId, version: 1, decision: "approve" })).outcome).toBe("pending");
    expect((await (await join(server, "rev-1")).ok("plan:vote", { planId, version: 1, decision: "approve" })).outcome).toBe("approved");
    const observerPlan = await agent.cmd("plan:submit", { plan: chainPlan(["t"]), approval: { reviewers: ["observer"] } });
    expect(!observerPlan.ok && observerPlan.error.message).toContain("only principals with the role reviewer or admin vote; observer is not one of them");
  });

  it("refuses the vote of a principal without a voter role with FORBIDDEN and why: the submitting agent, an observer", async () => {
    const server = await start({ approvalRules: { allowSelfApproval: true } });
    const agent = await join(server, "agent-1");
    const obs = await join(server, "obs");
    expect((await obs.ok("session:whoami", {})).voterRoles).toEqual(["reviewer"]);
    const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["t"]), approval: { allowSelfApproval: true } });
    const own = await agent.cmd("plan:vote", { planId, version: 1, decision: "approve" });
    expect(!own.ok && own.error).toEqual({ code: "FORBIDDEN", message: `this server lets only principals with the role reviewer vote, and you have the role agent (plan ${planId})` });
    const observed = await obs.cmd("plan:vote", { planId, version: 1, decision: "reject", comment: "no" });
    expect(!observed.ok && observed.error).toEqual({ code: "FORBIDDEN", message: `this server lets only principals with the role reviewer vote, and you have the role observer (plan ${planId})` });
    const { snapshot } = await obs.ok("plan:join", { planId });
    expect(snapshot.votes).toEqual([]);
    expect(snapshot.plan.status).toBe("pending_approval");
  });

  it("refuses an agent's vote on a plan stored before the rule, whose policy names agents", async () => {
    const { server, planId } = await storedBeforeTheRule({ reviewers: ["agent"] }, ["reviewer", "agent"]);
    const other = await join(server, "agent-2");
    // The policy still lets it see the plan; it just cannot vote.
    expect((await other.ok("plan:join", { planId })).snapshot.policy.reviewers).toEqual(["agent"]);
    const ack = await other.cmd("plan:vote", { planId, version: 1, decision: "approve" });
    expect(!ack.ok && ack.error).toEqual({ code: "FORBIDDEN", message: `this server lets only principals with the role reviewer vote, and you have the role agent (plan ${planId})` });
    expect((await other.ok("plan:join", { planId })).snapshot.plan.status).toBe("pending_approval");
  });

  it("counts only principals with a voter role as eligible: without veto, the plan is rejected once reviewers alone cannot reach the quorum", async () => {
    // rev-1, rev-2, rev-3 and stranger are reviewers; obs was a voter when the plan was stored.
    const { server, planId } = await storedBeforeTheRule({ reviewers: ["reviewer", "observer"], quorum: 2, vetoOnReject: false }, ["reviewer", "observer"]);
    const outcomes: string[] = [];
    for (const id of ["rev-1", "rev-2", "rev-3"]) outcomes.push((await (await join(server, id)).ok("plan:vote", { planId, version: 1, decision: "reject", comment: "no" })).outcome);
    // 4 eligible: after 3 rejections at most 1 approval is left (< 2). Counting the observer, 2 would be, and the plan would stay pending.
    expect(outcomes).toEqual(["pending", "pending", "rejected"]);
  });
});

describe("approvalRules.voterRoles configuration", () => {
  it("defaults to the reviewer role", () => {
    expect(parseConfig({}).approvalRules.voterRoles).toEqual(["reviewer"]);
    expect(parseConfig({}).approvalRules.voterRoles).toEqual([...DEFAULT_VOTER_ROLES]);
    expect(parseConfig({ approvalRules: { voterRoles: ["reviewer", "admin"] } }).approvalRules.voterRoles).toEqual(["reviewer", "admin"]);
  });

  it("must be a non-empty list of known roles, each problem named by its path", () => {
    const refusal = (voterRoles: unknown) => {
      try {
        parseConfig({ approvalRules: { voterRoles } });
      } catch (error) {
        return error as { code: string; message: string; issues: { path: (string | number)[]; message: string }[] };
      }
      throw new Error(`voterRoles ${JSON.stringify(voterRoles)} was accepted`);
    };
    expect(refusal([])).toMatchObject({ code: "VALIDATION", issues: [{ path: ["approvalRules", "voterRoles"], message: expect.stringContaining("at least one role") }] });
    expect(refusal(["reviewer", "boss"])).toMatchObject({ code: "VALIDATION", issues: [{ path: ["approvalRules", "voterRoles", 1], message: expect.stringContaining('unknown role "boss"') }] });
    expect(refusal(["reviewer", "boss"]).message).toContain("approvalRules.voterRoles.1: unknown role");
    expect(refusal("reviewer")).toMatchObject({ code: "VALIDATION", issues: [{ path: ["approvalRules", "voterRoles"] }] });
  });

  it("stops a server from starting with a bad voterRoles", async () => {
    await expect(startTestServer({ approvalRules: { voterRoles: [] } })).rejects.toMatchObject({ code: "VALIDATION", message: expect.stringContaining("approvalRules.voterRoles") });
  });
});
