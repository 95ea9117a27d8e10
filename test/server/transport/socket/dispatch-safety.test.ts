import { describe, expect, it } from "vitest";
import { io as connectClient } from "socket.io-client";
import { createMemoryStore } from "../../../../server/store/memory-store.js";
import type { Store } from "../../../../server/store/store.js";
import { chainPlan, type TestClient, useTestServer } from "../../../support/planroom-test-kit.js";
import { tokenOf } from "../../../support/test-principals.js";

const scope = useTestServer();
const client = (id = "agent-1"): Promise<TestClient> => scope.join(id);
async function planCount(c: TestClient): Promise<number> {
  return (await c.ok("plans:list", { limit: 500 })).plans.length;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the command dispatch survives hostile input", () => {
  it("ignores a command sent without an ack callback (no crash, no state change)", async () => {
    await scope.start({ tools: { t: () => 1 } });
    const agent = await client();
    agent.socket.emit("plan:submit", { plan: chainPlan(["t"]) });
    agent.socket.emit("plan:submit");
    await sleep(50);
    expect(await planCount(agent)).toBe(0);
  });

  it("answers an unexpected store failure inside a handler with OUTCOME_UNKNOWN and keeps serving", async () => {
    const store: Store = createMemoryStore();
    let failNext = true;
    const append = store.append.bind(store);
    store.append = async (events) => {
      if (failNext) {
        failNext = false;
        throw new Error("disk on fire");
      }
      return append(events);
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on("unhandledRejection", onUnhandled);
    try {
      await scope.start({ store, tools: { t: () => 1 } });
      const agent = await client();
      const bad = await agent.cmd("plan:submit", { plan: chainPlan(["t"]) });
      expect(bad.ok).toBe(false);
      // A store that throws something unexpected may or may not have written: the answer says so.
      if (!bad.ok) expect(bad.error).toEqual({ code: "OUTCOME_UNKNOWN", message: expect.any(String) });
      const good = await agent.cmd("plan:submit", { plan: chainPlan(["t"]) });
      expect(good.ok).toBe(true);
      expect(await planCount(agent)).toBe(1);
      await sleep(20);
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("survives a client event named `error` and unknown event names", async () => {
    await scope.start({ tools: { t: () => 1 } });
    const agent = await client();
    agent.socket.emit("error", { boom: true });
    agent.socket.emit("plan:nuke", { all: true });
    const unknown = await agent.socket.timeout(200).emitWithAck("plan:nuke", {}).then(() => "answered", () => "no answer");
    expect(unknown).toBe("no answer");
    expect(agent.socket.connected).toBe(true);
    expect((await agent.ok("session:whoami", {})).principal.id).toBe("agent-1");
  });

  it("refuses __proto__ and constructor keys without polluting anything", async () => {
    await scope.start({ tools: { t: () => 1 } });
    const agent = await client();
    const payload = JSON.parse('{"__proto__": {"polluted": true}, "plan": {"description": "x", "steps": [{"tool": "t", "params": {"constructor": {"prototype": {"polluted": true}}}}]}}');
    const r = await agent.cmd("plan:submit", payload);
    expect(!r.ok && r.error.code).toBe("VALIDATION");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const proto = JSON.parse('{"plan": {"description": "x", "steps": [{"tool": "t", "params": {"__proto__": {"polluted": true}}}]}}');
    const r2 = await agent.cmd("plan:submit", proto);
    expect(!r2.ok && r2.error.code).toBe("VALIDATION");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await planCount(agent)).toBe(0);
  });

  it("refuses payloads that are not objects, huge strings and huge arrays, with issues", async () => {
    await scope.start({ tools: { t: () => 1 }, limits: { maxSteps: 50 } });
    const agent = await client();
    for (const payload of ["text", 42, null, [1, 2]]) {
      const r = await agent.socket.timeout(2_000).emitWithAck("plan:vote", payload);
      expect(r.ok).toBe(false);
      expect(r.error.code).toBe("VALIDATION");
      expect(Array.isArray(r.error.issues)).toBe(true);
    }
    const long = await agent.cmd("plan:submit", { plan: { description: "x".repeat(100_000), steps: [] } });
    expect(!long.ok && long.error.code).toBe("VALIDATION");
    const tools = await agent.cmd("plan:submit", { plan: chainPlan(["t"]), tools: Array.from({ length: 5_000 }, (_, i) => `t${i}`) });
    expect(!tools.ok && tools.error.code).toBe("VALIDATION");
    const steps = await agent.cmd("plan:submit", { plan: { description: "big", steps: Array.from({ length: 51 }, (_, i) => ({ id: `s${i}`, tool: "t" })) } });
    expect(!steps.ok && steps.error.code).toBe("VALIDATION");
    expect(!steps.ok && steps.error.message).toContain("at most 50 steps");
    expect(await planCount(agent)).toBe(0);
  });

  it("caps the params bytes of a plan", async () => {
    await scope.start({ tools: { t: () => 1 }, limits: { maxParamsBytes: 2_000 } });
    const agent = await client();
    const r = await agent.cmd("plan:submit", { plan: { description: "fat", steps: [{ tool: "t", params: { blob: "y".repeat(3_000) } }] } });
    expect(!r.ok && r.error.code).toBe("VALIDATION");
    expect(await planCount(agent)).toBe(0);
  });

  it("drops a client whose message exceeds maxHttpBufferSize, and says so in its log; the server and others carry on", async () => {
    const warnings: string[] = [];
    const server = await scope.start({ tools: { t: () => 1 }, maxHttpBufferSize: 64 * 1024, log: { info: () => undefined, warn: (m) => void warnings.push(m), error: () => undefined } });
    const other = await client("rev-1");
    const socket = connectClient(server.url, { auth: { token: tokenOf("agent-1") }, transports: ["websocket"], reconnection: false, forceNew: true });
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    const gone = new Promise<string>((resolve) => socket.once("disconnect", (reason) => resolve(reason)));
    socket.emit("plan:submit", { plan: { description: "z".repeat(200_000), steps: [] } }, () => {});
    expect(await gone).toBeTruthy();
    await expect.poll(() => warnings).toContain("agent-1: a message over maxHttpBufferSize (65536 bytes) dropped the connection");
    socket.close();
    expect((await other.ok("session:whoami", {})).principal.id).toBe("rev-1");
    expect(await planCount(await client())).toBe(0);
  });

  it("answers every error in the one ack shape", async () => {
    await scope.start();
    const agent = await client();
    const r = await agent.cmd("plan:join", { planId: "missing" });
    expect(r).toEqual({ ok: false, error: { code: "NOT_FOUND", message: expect.any(String) } });
    const v = await agent.cmd("plan:join", { planId: "bad id!" });
    expect(v).toMatchObject({ ok: false, error: { code: "VALIDATION", message: expect.any(String), issues: [{ path: ["planId"], message: expect.any(String) }] } });
  });
});

describe("a logger that throws", () => {
  it("does not cost a client its answer: the ack goes first, the audit line after", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.message);
    process.on("warning", onWarning);
    try {
      const broken = {
        info: () => {
          throw new Error("log pipeline down");
        },
        warn: () => undefined,
        error: () => undefined,
      };
      await scope.start({ tools: { t: () => 1 }, log: broken });
      const agent = await client();
      expect((await agent.ok("session:whoami", {})).principal.id).toBe("agent-1");
      await expect.poll(() => warnings.some((w) => w.includes("the audit of session:whoami failed"))).toBe(true);
    } finally {
      process.off("warning", onWarning);
    }
  });
});
