import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { PlanEvent } from "../../../shared/index.js";
import { startChildServer, type ChildServer } from "../../support/child-server.js";
import { connect, type TestClient } from "../../support/planroom-test-kit.js";
import { TEST_PRINCIPALS } from "../../support/test-principals.js";

const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

describe("server restart after SIGKILL", () => {
  it("loses no acknowledged vote or event, and resumes the plan that was executing", { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "planroom-kill-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const configFile = join(dir, "config.json");
    await writeFile(configFile, JSON.stringify({ principals: TEST_PRINCIPALS, agentGraceMs: 20_000 }));
    const args = ["--data", join(dir, "data"), "--port", "0", "--config", configFile];

    let server: ChildServer = await startChildServer(args);
    cleanup.push(() => server.kill("SIGKILL"));
    const clients: TestClient[] = [];
    cleanup.push(() => clients.forEach((c) => c.close()));

    const agent = await connect(server.url, "agent-1", { tools: { work: (req) => (req.stepId === "s2" ? new Promise(() => {}) : { ok: true, result: req.stepId }) } });
    clients.push(agent);
    const plan = { description: "survive a crash", options: { retry: { maxAttempts: 3 } }, steps: ["s1", "s2", "s3"].map((id, i) => ({ id, tool: "work", dependsOn: i ? [`s${i}`] : [] })) };
    const { planId } = await agent.ok("plan:submit", { plan, tools: ["work"], approval: { quorum: 2 }, autoExecute: true });
    const r1 = await connect(server.url, "rev-1");
    const r2 = await connect(server.url, "rev-2");
    clients.push(r1, r2);
    await r1.ok("plan:join", { planId });
    await r2.ok("plan:join", { planId });
    const acked = [await r1.ok("plan:vote", { planId, version: 1, decision: "approve", comment: "ok" }), await r2.ok("plan:vote", { planId, version: 1, decision: "approve" })];
    expect(acked[1]?.outcome).toBe("approved");
    await r1.waitFor((e) => e.type === "step.started" && e.data.stepId === "s2");
    const seenBefore = [...r1.events];

    await server.kill("SIGKILL");
    for (const c of clients.splice(0)) c.close();

    server = await startChildServer(args);
    const back = await connect(server.url, "rev-1");
    clients.push(back);
    const everything = await back.ok("plan:join", { planId, afterSeq: 0 });
    // Every event a client saw before the crash is in the log, identical.
    const logged = new Map(everything.events.map((e) => [e.seq, e]));
    for (const e of seenBefore) expect(logged.get(e.seq)).toEqual(e);
    expect(everything.snapshot.votes.map((v) => v.voterId).sort()).toEqual(["rev-1", "rev-2"]);
    for (const a of acked) expect(logged.has(a.seq)).toBe(true);

    const last = seenBefore[seenBefore.length - 1] as PlanEvent;
    // `back` is a member since the first join, so the recovered run's first events may reach it live
    // before this join answers (and are in the answer too): the live stream counts from the
    // answer's snapshot on, as the protocol says.
    const { events, snapshot } = await back.ok("plan:join", { planId, afterSeq: last.seq });
    const agent2 = await connect(server.url, "agent-1", { tools: { work: (req) => ({ ok: true, result: `${req.stepId}#${req.attempt}` }) }, serveTools: [planId] });
    clients.push(agent2);
    await back.waitFor((e) => e.type === "plan.completed", 20_000);
    const after = [...events, ...back.events.filter((e) => e.seq > snapshot.seq)];
    after.forEach((e, i) => expect(e.seq).toBe(last.seq + 1 + i));
    const interrupted = after.find((e) => e.type === "step.retrying");
    expect(interrupted?.type === "step.retrying" && [interrupted.data.stepId, interrupted.data.error.code]).toEqual(["s2", "INTERRUPTED"]);
    const final = await back.ok("plan:join", { planId });
    expect(final.snapshot.plan.steps.map((s) => [s.id, s.status, s.result])).toEqual([["s1", "completed", "s1"], ["s2", "completed", "s2#2"], ["s3", "completed", "s3#1"]]);
  });
});

describe("graceful shutdown", () => {
  it("stops on SIGTERM with exit code 0, and the next start serves the same plans", { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "planroom-term-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const configFile = join(dir, "config.json");
    await writeFile(configFile, JSON.stringify({ principals: TEST_PRINCIPALS }));
    const args = ["--data", join(dir, "data"), "--port", "0", "--config", configFile];
    const first = await startChildServer(args);
    cleanup.push(() => first.kill("SIGKILL"));
    const agent = await connect(first.url, "agent-1");
    const { planId } = await agent.ok("plan:submit", { plan: { description: "kept", steps: [{ id: "a", tool: "t" }] }, tools: ["t"] });
    const exit = new Promise<number | null>((resolve) => first.child.once("exit", (code) => resolve(code)));
    await first.kill("SIGTERM");
    expect(await exit).toBe(0);
    expect(first.output()).toContain("SIGTERM: shutting down");
    agent.close();
    const second = await startChildServer(args);
    cleanup.push(() => second.kill("SIGKILL"));
    const rev = await connect(second.url, "rev-1");
    cleanup.push(() => rev.close());
    const { snapshot } = await rev.ok("plan:join", { planId });
    expect(snapshot.plan.description).toBe("kept");
    expect(snapshot.seq).toBe(1);
  });
});
