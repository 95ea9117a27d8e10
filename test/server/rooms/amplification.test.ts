import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { PlanEvent } from "../../../shared/index.js";
import { createFileStore } from "../../../server/store/file/file-store.js";
import { connect, useTestServer, type TestClient } from "../../support/planroom-test-kit.js";
import { tokenOf } from "../../support/test-principals.js";

const scope = useTestServer();
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const ref = (id: string) => ({ $ref: `steps.${id}.result` });
const KB = "k".repeat(1_000);

/** Server tools of these tests: `blob` returns `size` bytes of text, `echo` its params. */
const tools = {
  blob: (params: Record<string, unknown>) => "x".repeat(Number(params.size)),
  echo: (params: Record<string, unknown>) => params,
};

/** Runs `whoami` on `client` every few ms until `stop` resolves; returns each round trip in ms. */
async function pingUntil(client: TestClient, stop: Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  let done = false;
  void stop.finally(() => (done = true));
  while (!done) {
    const started = performance.now();
    await client.ok("session:whoami", {});
    times.push(performance.now() - started);
    await new Promise((r) => setTimeout(r, 5));
  }
  return times;
}

function terminal(client: TestClient, planId: string): Promise<PlanEvent> {
  return client.waitFor((e) => e.planId === planId && (e.type === "plan.completed" || e.type === "plan.failed" || e.type === "plan.cancelled"), 30_000);
}

describe("$ref amplification", () => {
  it("refuses at submit a plan whose references multiply results past maxRefExpansion", async () => {
    await scope.start({ tools });
    const agent = await scope.join("agent-1");
    // Three levels of fan-in, 1,000 × 1,000 × 1 KB: about 50 KB to submit, a gigabyte once resolved.
    const plan = {
      description: "fan-in",
      steps: [
        { id: "a", tool: "echo", params: { text: KB } },
        { id: "b", tool: "echo", dependsOn: ["a"], params: { all: Array.from({ length: 1_000 }, () => ref("a")) } },
        { id: "c", tool: "echo", dependsOn: ["b"], params: { all: Array.from({ length: 1_000 }, () => ref("b")) } },
      ],
    };
    const refused = await agent.cmd("plan:submit", { plan });
    expect(refused).toMatchObject({ ok: false, error: { code: "VALIDATION", issues: [{ path: ["plan", "steps", 2, "params"], code: "ref_expansion" }] } });
    expect(!refused.ok && refused.error.message).toContain("limits.maxRefExpansion");
    // Four steps of 1,000 references each, the shape that hung a server on every restart.
    const four = { description: "four", steps: ["s1", "s2", "s3", "s4"].map((id, i) => ({ id, tool: "echo", dependsOn: i ? [`s${i}`] : [], params: i ? { all: Array.from({ length: 1_000 }, () => ref(`s${i}`)) } : { text: KB } })) };
    expect(await agent.cmd("plan:submit", { plan: four })).toMatchObject({ ok: false, error: { code: "VALIDATION" } });
    const list = await agent.ok("plans:list", {});
    expect(list.plans).toHaveLength(0);
  });

  it("fails a step whose resolved params pass maxParamsBytes with PARAMS_TOO_LARGE, while another client stays answered", async () => {
    await scope.start({ tools, limits: { maxParamsBytes: 100_000 } });
    const agent = await scope.join("agent-1");
    const reviewer = await scope.join("rev-1");
    const bystander = await scope.join("rev-2");
    // Within the expansion bound (1 + 90 × 1), but 90 copies of a 50 KB result are 4.5 MB.
    const plan = {
      description: "big resolved params",
      steps: [
        { id: "big", tool: "blob", params: { size: 50_000 } },
        { id: "fan", tool: "echo", dependsOn: ["big"], params: { all: Array.from({ length: 90 }, () => ref("big")) } },
        { id: "after", tool: "echo", dependsOn: ["fan"], params: {} },
      ],
    };
    const { planId } = await agent.ok("plan:submit", { plan, autoExecute: true });
    await reviewer.ok("plan:join", { planId });
    const end = terminal(reviewer, planId);
    await reviewer.ok("plan:vote", { planId, version: 1, decision: "approve" });
    const pings = await pingUntil(bystander, end);
    const failed = reviewer.events.find((e) => e.type === "step.failed");
    expect(failed).toMatchObject({ data: { stepId: "fan", error: { code: "PARAMS_TOO_LARGE" } } });
    expect((await end).type).toBe("plan.failed");
    expect(reviewer.events.some((e) => e.type === "step.started" && e.data.stepId === "after")).toBe(false);
    expect(Math.max(...pings)).toBeLessThan(1_000);
    // Nothing else is affected: the next plan runs.
    const next = await agent.ok("plan:submit", { plan: { description: "fine", steps: [{ id: "one", tool: "echo", params: { ok: true } }] }, autoExecute: true });
    await reviewer.ok("plan:join", { planId: next.planId });
    const done = terminal(reviewer, next.planId);
    await reviewer.ok("plan:vote", { planId: next.planId, version: 1, decision: "approve" });
    expect((await done).type).toBe("plan.completed");
  });

  it("recovers a plan whose next step would resolve too large without hanging: it fails with PARAMS_TOO_LARGE", async () => {
    const dir = await mkdtemp(join(tmpdir(), "planroom-amplify-"));
    dirs.push(dir);
    let release: () => void = () => {};
    const gate = () => new Promise<string>((resolve) => (release = () => resolve("open")));
    const first = await scope.start({ store: createFileStore({ dir }), tools: { ...tools, gate }, limits: { maxParamsBytes: 100_000 }, shutdownGraceMs: 0 });
    const agent = await connect(first.url, "agent-1");
    const reviewer = await connect(first.url, "rev-1");
    const plan = {
      description: "recover me",
      options: { retry: { maxAttempts: 2, backoffMs: 0 } },
      steps: [
        { id: "big", tool: "blob", params: { size: 50_000 } },
        { id: "wait", tool: "gate", dependsOn: ["big"], params: {} },
        { id: "fan", tool: "echo", dependsOn: ["wait"], params: { all: Array.from({ length: 90 }, () => ref("big")) } },
      ],
    };
    const { planId } = await agent.ok("plan:submit", { plan, autoExecute: true });
    await reviewer.ok("plan:join", { planId });
    await reviewer.ok("plan:vote", { planId, version: 1, decision: "approve" });
    await reviewer.waitFor((e) => e.type === "step.started" && e.data.stepId === "wait");
    agent.close();
    reviewer.close();
    await first.close(); // the run is abandoned while executing: the next start recovers it
    release();

    const second = await scope.start({ store: createFileStore({ dir }), tools: { ...tools, gate: () => "open" }, limits: { maxParamsBytes: 100_000 } });
    const health = await fetch(`${second.url}/healthz`);
    expect(health.status).toBe(200);
    const back = await connect(second.url, "rev-1");
    let events: PlanEvent[] = [];
    for (let i = 0; i < 100 && !events.some((e) => e.type === "plan.failed"); i++) {
      events = (await back.ok("plan:join", { planId, afterSeq: 0 })).events;
      await new Promise((r) => setTimeout(r, 20));
    }
    back.close();
    expect(events.find((e) => e.type === "step.failed")).toMatchObject({ data: { stepId: "fan", error: { code: "PARAMS_TOO_LARGE" } } });
    expect(events.at(-1)?.type).toBe("plan.failed");
  });
});

describe("tool results", () => {
  it("fails a step whose server tool returns more than maxResultBytes: never stored, sent or served", async () => {
    const server = await scope.start({ tools, limits: { maxResultBytes: 64_000 } });
    const agent = await scope.join("agent-1");
    const reviewer = await scope.join("rev-1");
    const bystander = await scope.join("rev-2");
    let received = 0;
    reviewer.socket.onAny((_name, ...args) => (received += JSON.stringify(args).length));
    const plan = { description: "big result", options: { stopOnError: false }, steps: [{ id: "huge", tool: "blob", params: { size: 5_000_000 } }, { id: "fine", tool: "blob", params: { size: 1_000 } }] };
    const { planId } = await agent.ok("plan:submit", { plan, autoExecute: true });
    await reviewer.ok("plan:join", { planId });
    const end = terminal(reviewer, planId);
    await reviewer.ok("plan:vote", { planId, version: 1, decision: "approve" });
    const pings = await pingUntil(bystander, end);
    expect(reviewer.events.find((e) => e.type === "step.failed")).toMatchObject({ data: { stepId: "huge", error: { code: "RESULT_TOO_LARGE" } } });
    expect(reviewer.events.find((e) => e.type === "step.completed")).toMatchObject({ data: { stepId: "fine" } });
    expect(received).toBeLessThan(64_000);
    const stored = await server.store.readEvents(planId);
    expect(JSON.stringify(stored).length).toBeLessThan(64_000);
    const http = await fetch(`${server.url}/api/plans/${planId}`, { headers: { authorization: `Bearer ${tokenOf("rev-1")}` } });
    expect((await http.text()).length).toBeLessThan(64_000);
    expect(Math.max(...pings)).toBeLessThan(1_000);
  });

  it("fails a step whose agent tool answers more than maxResultBytes, and tells the agent the cap", async () => {
    await scope.start({ limits: { maxResultBytes: 10_000 } });
    let told: number | undefined;
    const agent = await scope.join("agent-1", {
      tools: {
        remote: (req) => {
          told = req.maxResultBytes;
          return { ok: true, result: "y".repeat(50_000) }; // a raw client, not the SDK, which would refuse
        },
      },
    });
    const reviewer = await scope.join("rev-1");
    const { planId } = await agent.ok("plan:submit", { plan: { description: "remote", steps: [{ id: "r", tool: "remote", params: {} }] }, tools: ["remote"], autoExecute: true });
    await reviewer.ok("plan:join", { planId });
    const end = terminal(reviewer, planId);
    await reviewer.ok("plan:vote", { planId, version: 1, decision: "approve" });
    expect((await end).type).toBe("plan.failed");
    expect(told).toBe(10_000);
    expect(reviewer.events.find((e) => e.type === "step.failed")).toMatchObject({ data: { error: { code: "RESULT_TOO_LARGE" } } });
  });
});
