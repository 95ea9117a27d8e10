import { describe, expect, it } from "vitest";
import { chainPlan, type TestClient, useTestServer } from "../../support/planroom-test-kit.js";

const scope = useTestServer();
const join = scope.join.bind(scope);
async function approve(planId: string, reviewer: TestClient, version = 1): Promise<void> {
  await reviewer.ok("plan:vote", { planId, version, decision: "approve" });
}

describe("execution over the wire", () => {
  it("starts on plan:execute only once approved, only for the submitter or an admin", async () => {
    await scope.start({ tools: { t: () => 1 } });
    const agent = await join("agent-1");
    const rev = await join("rev-1");
    const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["t"]) });
    const early = await agent.cmd("plan:execute", { planId });
    expect(!early.ok && early.error.code).toBe("APPROVAL_REQUIRED");
    await approve(planId, rev);
    const byReviewer = await rev.cmd("plan:execute", { planId });
    expect(!byReviewer.ok && byReviewer.error.code).toBe("FORBIDDEN");
    await rev.ok("plan:join", { planId });
    const started = await agent.ok("plan:execute", { planId });
    expect(started.seq).toBe(4);
    const done = await rev.waitFor((e) => e.type === "plan.completed");
    expect(done.planId).toBe(planId);
  });

  it("refuses at submit a tool that is neither server-side nor declared by the agent", async () => {
    await scope.start({ tools: { t: () => 1 } });
    const agent = await join("agent-1");
    const r = await agent.cmd("plan:submit", { plan: chainPlan(["t", "nope"]) });
    expect(!r.ok && r.error.code).toBe("UNKNOWN_TOOL");
    const ok = await agent.cmd("plan:submit", { plan: chainPlan(["t", "nope"]), tools: ["nope"] });
    expect(ok.ok).toBe(true);
  });

  it("runs the agent's own tools through tool:invoke, and reports their failures", async () => {
    await scope.start();
    const seen: string[] = [];
    const agent = await join("agent-1", {
      tools: {
        fetch: (req) => {
          seen.push(req.idempotencyKey);
          return { ok: true, result: { got: req.params.n ?? null } };
        },
        explode: () => ({ ok: false, error: { code: "BOOM", message: "it broke" } }),
      },
    });
    const rev = await join("rev-1");
    const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["fetch", "explode"]), tools: ["fetch", "explode"], autoExecute: true });
    await rev.ok("plan:join", { planId });
    await approve(planId, rev);
    const failed = await rev.waitFor((e) => e.type === "plan.failed");
    expect(seen).toEqual([`${planId}:s1:1`]);
    const completed = rev.events.find((e) => e.type === "step.completed");
    expect(completed?.type === "step.completed" && completed.data.result).toEqual({ got: 1 });
    const stepFailed = rev.events.find((e) => e.type === "step.failed");
    expect(stepFailed?.type === "step.failed" && stepFailed.data.error).toEqual({ code: "BOOM", message: "it broke" });
    expect(failed.type === "plan.failed" && failed.data.error.code).toBe("BOOM");
  });

  it("fails a remote step that does not answer before its deadline, and tells the agent to stop", async () => {
    await scope.start();
    const cancels: string[] = [];
    const agent = await join("agent-1", { tools: { slow: () => new Promise(() => {}) } });
    agent.socket.on("tool:cancel", (req: { idempotencyKey: string }) => cancels.push(req.idempotencyKey));
    const rev = await join("rev-1");
    const { planId } = await agent.ok("plan:submit", { plan: { ...chainPlan(["slow"]), options: { stepTimeoutMs: 150 } }, tools: ["slow"], autoExecute: true });
    await rev.ok("plan:join", { planId });
    await approve(planId, rev);
    const failed = await rev.waitFor((e) => e.type === "step.failed");
    expect(failed.type === "step.failed" && failed.data.error.code).toBe("TIMEOUT");
    await rev.waitFor((e) => e.type === "plan.failed");
    await new Promise((r) => setTimeout(r, 50));
    expect(cancels).toEqual([`${planId}:s1:1`]);
  });

  it("cancels a running plan: the tool is told, the room sees plan.cancelled", async () => {
    await scope.start();
    const cancels: string[] = [];
    const agent = await join("agent-1", { tools: { wait: () => new Promise(() => {}) } });
    agent.socket.on("tool:cancel", (req: { idempotencyKey: string }) => cancels.push(req.idempotencyKey));
    const rev = await join("rev-1");
    const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["wait", "wait"]), tools: ["wait"], autoExecute: true });
    await rev.ok("plan:join", { planId });
    await approve(planId, rev);
    await rev.waitFor((e) => e.type === "step.started");
    const denied = await rev.cmd("plan:cancel", { planId, reason: "no" });
    expect(!denied.ok && denied.error.code).toBe("FORBIDDEN");
    const cancelled = await agent.ok("plan:cancel", { planId, reason: "changed my mind" });
    const event = await rev.waitFor((e) => e.type === "plan.cancelled");
    expect(event.type === "plan.cancelled" && event.data.reason).toBe("changed my mind");
    expect(event.actor).toBe("agent-1");
    expect(cancelled.seq).toBeGreaterThanOrEqual(event.seq);
    expect(cancels).toEqual([`${planId}:s1:1`]);
  });

  it("resumes a cancelled plan only after a fresh approval, re-running what did not complete", async () => {
    await scope.start();
    let calls = 0;
    let block = true;
    const agent = await join("agent-1", { tools: { step: () => (calls++, block && calls === 2 ? new Promise(() => {}) : { ok: true, result: calls }) } });
    const rev = await join("rev-1");
    const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["step", "step"]), tools: ["step"], autoExecute: true });
    await rev.ok("plan:join", { planId });
    await approve(planId, rev);
    await rev.waitFor((e) => e.type === "step.started" && e.data.stepId === "s2");
    await agent.ok("plan:cancel", { planId });
    block = false;
    const resumed = await agent.ok("plan:resume", { planId });
    expect(resumed.status).toBe("pending_approval");
    const early = await agent.cmd("plan:execute", { planId });
    expect(!early.ok && early.error.code).toBe("APPROVAL_REQUIRED");
    await approve(planId, rev);
    await rev.waitFor((e) => e.type === "plan.completed");
    const { snapshot } = await rev.ok("plan:join", { planId });
    expect(snapshot.plan.steps.map((s) => [s.id, s.status, s.result])).toEqual([["s1", "completed", 1], ["s2", "completed", 3]]);
    expect(snapshot.plan.run).toBe(2);
  });

  it("fails a remote step with AGENT_DISCONNECTED when the agent stays away past the grace period", async () => {
    await scope.start({ agentGraceMs: 100 });
    const agent = await join("agent-1", { tools: { t: () => ({ ok: true, result: 1 }) } });
    const rev = await join("rev-1");
    const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["t"]), tools: ["t"], autoExecute: true });
    await rev.ok("plan:join", { planId });
    agent.close();
    await new Promise((r) => setTimeout(r, 50));
    await approve(planId, rev);
    const failed = await rev.waitFor((e) => e.type === "step.failed");
    expect(failed.type === "step.failed" && failed.data.error.code).toBe("AGENT_DISCONNECTED");
    expect(failed.type === "step.failed" && failed.data.error.message).toContain("agent-1");
  });

  it("shows a step waiting for its absent agent, pauses its timeout meanwhile, and resumes it when the agent is back", async () => {
    await scope.start({ agentGraceMs: 5_000 });
    const first = await join("agent-1", { tools: { t: () => ({ ok: true, result: "old" }) } });
    const rev = await join("rev-1");
    const plan = { ...chainPlan(["t"]), options: { stepTimeoutMs: 300 } };
    const { planId } = await first.ok("plan:submit", { plan, tools: ["t"], autoExecute: true });
    await rev.ok("plan:join", { planId });
    first.close();
    await new Promise((r) => setTimeout(r, 50));
    await approve(planId, rev);
    const waiting = await rev.waitFor((e) => e.type === "step.waiting");
    expect(waiting.type === "step.waiting" && waiting.data).toEqual({ stepId: "s1", attempt: 1, reason: "agent", tool: "t" });
    const { snapshot } = await rev.ok("plan:join", { planId });
    expect(snapshot.plan.steps[0]?.waiting).toEqual({ reason: "agent", tool: "t", since: waiting.at });
    // Longer than the step's timeout: the wait does not count against it.
    await new Promise((r) => setTimeout(r, 500));
    await join("agent-1", { tools: { t: (req) => ({ ok: true, result: req.deadline - Date.now() > 0 }) }, serveTools: [planId] });
    const resumed = await rev.waitFor((e) => e.type === "step.resumed");
    expect(resumed.type === "step.resumed" && resumed.data.waitedMs).toBeGreaterThanOrEqual(400);
    const done = await rev.waitFor((e) => e.type === "step.completed" || e.type === "step.failed");
    expect(done.type === "step.completed" && done.data.result).toBe(true);
    expect(rev.events.map((e) => e.type).filter((t) => t.startsWith("step."))).toEqual(["step.started", "step.waiting", "step.resumed", "step.completed"]);
  });

  it("fails a step whose agent stays away with AGENT_DISCONNECTED after agentGraceMs, not TIMEOUT, and does not retry it", async () => {
    await scope.start({ agentGraceMs: 250 });
    const agent = await join("agent-1", { tools: { t: () => ({ ok: true, result: 1 }) } });
    const rev = await join("rev-1");
    const plan = { ...chainPlan(["t"]), options: { stepTimeoutMs: 50, retry: { maxAttempts: 3, backoffMs: 1 } } };
    const { planId } = await agent.ok("plan:submit", { plan, tools: ["t"], autoExecute: true });
    await rev.ok("plan:join", { planId });
    agent.close();
    await new Promise((r) => setTimeout(r, 50));
    await approve(planId, rev);
    const waiting = await rev.waitFor((e) => e.type === "step.waiting");
    const failed = await rev.waitFor((e) => e.type === "step.failed");
    expect(failed.type === "step.failed" && failed.data.error.code).toBe("AGENT_DISCONNECTED");
    expect(failed.at - waiting.at).toBeGreaterThanOrEqual(240);
    expect(rev.events.some((e) => e.type === "step.retrying" || e.type === "step.resumed")).toBe(false);
    const { snapshot } = await rev.ok("plan:join", { planId });
    expect(snapshot.plan.steps[0]?.waiting).toBeUndefined();
  });

  it("says in plan:execute's answer which of the agent's tools no connected socket serves", async () => {
    await scope.start({ agentGraceMs: 100, tools: { local: () => 1 } });
    const agent = await join("agent-1", { tools: { t: () => ({ ok: true, result: 1 }), u: () => ({ ok: true, result: 2 }) } });
    const rev = await join("rev-1");
    const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["local", "u", "t"]), tools: ["t", "u", "unused"] });
    await approve(planId, rev);
    const served = await agent.ok("plan:execute", { planId });
    expect(served.unservedTools).toBeUndefined();
    await rev.ok("plan:join", { planId });
    await rev.waitFor((e) => e.type === "plan.completed");

    const { planId: second } = await agent.ok("plan:submit", { plan: chainPlan(["local", "u", "t"]), tools: ["t", "u", "unused"] });
    await approve(second, rev);
    agent.close();
    await new Promise((r) => setTimeout(r, 50));
    const admin = await join("root");
    const unserved = await admin.ok("plan:execute", { planId: second });
    expect(unserved.unservedTools).toEqual(["t", "u"]);
  });

  it("waits for a disconnected agent to come back; its tools follow the new socket", async () => {
    await scope.start({ agentGraceMs: 5_000 });
    const first = await join("agent-1", { tools: { t: () => ({ ok: true, result: "old" }) } });
    const rev = await join("rev-1");
    const { planId } = await first.ok("plan:submit", { plan: chainPlan(["t"]), tools: ["t"], autoExecute: true });
    await rev.ok("plan:join", { planId });
    first.close();
    await new Promise((r) => setTimeout(r, 50));
    await approve(planId, rev);
    await rev.waitFor((e) => e.type === "step.started");
    await join("agent-1", { tools: { t: () => ({ ok: true, result: "new" }) }, serveTools: [planId] });
    const done = await rev.waitFor((e) => e.type === "step.completed");
    expect(done.type === "step.completed" && done.data.result).toBe("new");
  });

  it("gives a plan's tools only to a submitter's socket that joins with serveTools", async () => {
    await scope.start({ agentGraceMs: 300 });
    const first = await join("agent-1", { tools: { t: () => ({ ok: true, result: "old" }) } });
    const rev = await join("rev-1");
    const { planId } = await first.ok("plan:submit", { plan: chainPlan(["t"]), tools: ["t"], autoExecute: true });
    await rev.ok("plan:join", { planId });
    first.close();
    // Same token, joins the room without serveTools (a command line, a dashboard): not a tool socket.
    const viewer = await join("agent-1", { tools: { t: () => ({ ok: true, result: "viewer" }) } });
    await viewer.ok("plan:join", { planId });
    // Another principal asking for the tools is ignored.
    const other = await join("agent-2", { tools: { t: () => ({ ok: true, result: "agent-2" }) } });
    await other.ok("plan:join", { planId, serveTools: true }).catch(() => undefined);
    await approve(planId, rev);
    const failed = await rev.waitFor((e) => e.type === "step.failed" || e.type === "step.completed");
    expect(failed.type === "step.failed" && failed.data.error.code).toBe("AGENT_DISCONNECTED");
  });

  it("fails a remote step with AGENT_DISCONNECTED when the agent drops mid-call and stays away", async () => {
    await scope.start({ agentGraceMs: 200 });
    let called!: () => void;
    const calledOnce = new Promise<void>((r) => (called = r));
    const agent = await join("agent-1", { tools: { t: () => (called(), new Promise<never>(() => {})) } });
    const rev = await join("rev-1");
    const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["t"]), tools: ["t"], autoExecute: true });
    await rev.ok("plan:join", { planId });
    await approve(planId, rev);
    await calledOnce;
    agent.close();
    const failed = await rev.waitFor((e) => e.type === "step.failed");
    expect(failed.type === "step.failed" && failed.data.error.code).toBe("AGENT_DISCONNECTED");
    expect(failed.type === "step.failed" && failed.data.error.message).toContain("did not come back within 200 ms");
  });

  it("keeps calling the agent's tool socket when the same agent opens another connection", async () => {
    await scope.start();
    const agent = await join("agent-1", { tools: { t: () => ({ ok: true, result: "from the agent" }) } });
    const rev = await join("rev-1");
    const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["t"]), tools: ["t"], autoExecute: true });
    await rev.ok("plan:join", { planId });
    // A command line with the agent's token: connected, serves nothing, answers nothing.
    const cli = await join("agent-1");
    await cli.ok("plans:list", {});
    await approve(planId, rev);
    const done = await rev.waitFor((e) => e.type === "step.completed" || e.type === "step.failed");
    expect(done.type === "step.completed" && done.data.result).toBe("from the agent");
  });
});
