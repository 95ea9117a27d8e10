import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CommandInput, CommandName } from "../../../../shared/index.js";
import type { PlanroomServer } from "../../../../server/app/create-server.js";
import { chainPlan, connect, startTestServer, type TestClient } from "../../../support/planroom-test-kit.js";

/** agent-1 submits; the policy names rev-1 and rev-2 by id; stranger is a reviewer it does not name. */
const PRINCIPALS = ["agent-1", "agent-2", "rev-1", "stranger", "obs", "root"] as const;
type Who = (typeof PRINCIPALS)[number];
const SEES: Record<Who, boolean> = { "agent-1": true, "agent-2": false, "rev-1": true, stranger: false, obs: true, root: true };

/** Expected outcome of each command per principal on a plan pending approval: "ok" or an error code. */
const MATRIX: Record<string, Record<Who, string>> = {
  "plan:join": { "agent-1": "ok", "agent-2": "FORBIDDEN", "rev-1": "ok", stranger: "FORBIDDEN", obs: "ok", root: "ok" },
  "plan:leave": { "agent-1": "ok", "agent-2": "FORBIDDEN", "rev-1": "ok", stranger: "FORBIDDEN", obs: "ok", root: "ok" },
  "plan:vote": { "agent-1": "FORBIDDEN", "agent-2": "FORBIDDEN", "rev-1": "ok", stranger: "FORBIDDEN", obs: "FORBIDDEN", root: "FORBIDDEN" },
  "plan:revise": { "agent-1": "ok", "agent-2": "FORBIDDEN", "rev-1": "FORBIDDEN", stranger: "FORBIDDEN", obs: "FORBIDDEN", root: "FORBIDDEN" },
  "plan:execute": { "agent-1": "APPROVAL_REQUIRED", "agent-2": "FORBIDDEN", "rev-1": "FORBIDDEN", stranger: "FORBIDDEN", obs: "FORBIDDEN", root: "APPROVAL_REQUIRED" },
  "plan:cancel": { "agent-1": "ok", "agent-2": "FORBIDDEN", "rev-1": "FORBIDDEN", stranger: "FORBIDDEN", obs: "FORBIDDEN", root: "ok" },
  "plan:resume": { "agent-1": "INVALID_STATE", "agent-2": "FORBIDDEN", "rev-1": "FORBIDDEN", stranger: "FORBIDDEN", obs: "FORBIDDEN", root: "INVALID_STATE" },
  "plan:submit": { "agent-1": "ok", "agent-2": "ok", "rev-1": "FORBIDDEN", stranger: "FORBIDDEN", obs: "FORBIDDEN", root: "FORBIDDEN" },
};

function payloadFor(command: string, planId: string): CommandInput<CommandName> {
  switch (command) {
    case "plan:vote":
      return { planId, version: 1, decision: "approve" };
    case "plan:revise":
      return { planId, version: 1, description: "revised" };
    case "plan:submit":
      return { plan: chainPlan(["t"]) };
    default:
      return { planId };
  }
}

let server: PlanroomServer;
const clients = new Map<Who, TestClient>();
let submitter: TestClient;

beforeAll(async () => {
  server = await startTestServer({ tools: { t: () => 1 }, rateLimit: { burst: 10_000, perSecond: 10_000 } });
  for (const who of PRINCIPALS) clients.set(who, await connect(server.url, who));
  submitter = clients.get("agent-1") as TestClient;
});
afterAll(async () => {
  for (const c of clients.values()) c.close();
  await server.close();
});

async function freshPlan(): Promise<string> {
  const { planId } = await submitter.ok("plan:submit", { plan: chainPlan(["t"]), approval: { reviewers: ["rev-1", "rev-2"], quorum: 2 } });
  return planId;
}

describe("authorization matrix: role × command × member/non-member", () => {
  for (const [command, row] of Object.entries(MATRIX)) {
    for (const who of PRINCIPALS) {
      for (const member of SEES[who] ? [false, true] : [false]) {
        it(`${command} by ${who} (${member ? "member" : "non-member"}) → ${row[who]}`, async () => {
          const planId = await freshPlan();
          const client = clients.get(who) as TestClient;
          if (member) await client.ok("plan:join", { planId });
          const ack = await client.cmd(command as CommandName, payloadFor(command, planId));
          expect(ack.ok ? "ok" : ack.error.code).toBe(row[who]);
          if (member) await client.cmd("plan:leave", { planId });
        });
      }
    }
  }

  it("plans:list shows a plan exactly to those who may see it", async () => {
    const planId = await freshPlan();
    for (const who of PRINCIPALS) {
      const { plans } = await (clients.get(who) as TestClient).ok("plans:list", { limit: 500 });
      expect(plans.some((p) => p.id === planId), who).toBe(SEES[who]);
    }
  });

  it("no event of a plan reaches a socket that may not see it (rooms and watchers)", async () => {
    const watchers = new Map<Who, TestClient>();
    for (const who of PRINCIPALS) {
      const c = await connect(server.url, who);
      await c.ok("plans:watch", {});
      watchers.set(who, c);
    }
    try {
      const planId = await freshPlan();
      for (const who of PRINCIPALS) if (SEES[who]) await (clients.get(who) as TestClient).ok("plan:join", { planId });
      // A watcher that is also in the room gets each event once.
      await (watchers.get("rev-1") as TestClient).ok("plan:join", { planId });
      await (clients.get("rev-1") as TestClient).ok("plan:vote", { planId, version: 1, decision: "approve" });
      await (clients.get("root") as TestClient).ok("plan:cancel", { planId, reason: "done" });
      for (const who of PRINCIPALS) if (SEES[who]) await (watchers.get(who) as TestClient).waitFor((e) => e.planId === planId && e.type === "plan.cancelled");
      for (const who of PRINCIPALS) {
        const got = [...(watchers.get(who) as TestClient).events, ...(clients.get(who) as TestClient).events].filter((e) => e.planId === planId);
        if (SEES[who]) expect(got.length, who).toBeGreaterThan(0);
        else expect(got, who).toEqual([]);
      }
      const seqs = (watchers.get("rev-1") as TestClient).events.filter((e) => e.planId === planId).map((e) => e.seq);
      expect(seqs).toEqual([1, 2, 3]);
    } finally {
      for (const c of watchers.values()) c.close();
    }
  });

  it("lets a named reviewer cancel when the policy allows it, but not others", async () => {
    const { planId } = await submitter.ok("plan:submit", { plan: chainPlan(["t"]), approval: { reviewers: ["rev-1"], reviewersMayCancel: true } });
    const byStranger = await (clients.get("stranger") as TestClient).cmd("plan:cancel", { planId });
    expect(!byStranger.ok && byStranger.error.code).toBe("FORBIDDEN");
    const byObserver = await (clients.get("obs") as TestClient).cmd("plan:cancel", { planId });
    expect(!byObserver.ok && byObserver.error.code).toBe("FORBIDDEN");
    expect((await (clients.get("rev-1") as TestClient).cmd("plan:cancel", { planId, reason: "not now" })).ok).toBe(true);
  });

  it("refuses a connection without a valid token", async () => {
    const { io } = await import("socket.io-client");
    const socket = io(server.url, { auth: { token: "wrong-token-wrong-token" }, transports: ["websocket"], reconnection: false, forceNew: true });
    const error = await new Promise<Error>((resolve) => socket.once("connect_error", resolve));
    socket.close();
    expect(error.message).toContain("UNAUTHENTICATED");
  });
});
