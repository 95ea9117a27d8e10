import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { createStructuredLogger } from "../../../server/runtime/structured-logger.js";
import { chainPlan, useTestServer } from "../../support/planroom-test-kit.js";
import { TEST_PRINCIPALS, tokenOf } from "../../support/test-principals.js";

const scope = useTestServer();

/** A structured logger writing JSON lines to memory. */
function memoryLog(level: "info" | "warn" = "info") {
  const stream = new PassThrough();
  let text = "";
  stream.on("data", (chunk: Buffer) => (text += chunk.toString()));
  return {
    log: createStructuredLogger({ stream, format: "json", level }),
    text: () => text,
    lines: () => text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe("audit log", () => {
  it("has a line per command with its principal, command, plan id, result code and duration, and a line per plan transition", async () => {
    const memory = memoryLog();
    await scope.start({ tools: { t: () => 1 }, log: memory.log });
    const agent = await scope.join("agent-1");
    const rev1 = await scope.join("rev-1");
    const rev2 = await scope.join("rev-2");
    const stranger = await scope.join("stranger");
    const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["t"]), approval: { quorum: 2, reviewers: ["rev-1", "rev-2"] }, autoExecute: true });
    await rev1.ok("plan:vote", { planId, version: 1, decision: "approve", comment: "fine" });
    const refused = await stranger.cmd("plan:vote", { planId, version: 1, decision: "approve" });
    expect(refused.ok).toBe(false);
    const invalid = await rev2.cmd("plan:vote", { planId, version: 1, decision: "maybe" } as never);
    expect(invalid.ok).toBe(false);
    await rev2.ok("plan:join", { planId });
    await rev2.ok("plan:vote", { planId, version: 1, decision: "approve" });
    await rev2.waitFor((e) => e.type === "plan.completed");

    const lines = memory.lines();
    const commands = lines.filter((l) => l.audit === "command");
    const votes = commands.filter((l) => l.command === "plan:vote");
    expect(votes.map((l) => [l.principal, l.planId, l.code])).toEqual([
      ["rev-1", planId, "OK"],
      ["stranger", planId, "FORBIDDEN"],
      ["rev-2", planId, "VALIDATION"],
      ["rev-2", planId, "OK"],
    ]);
    for (const line of votes) {
      expect(line.level).toBe("info");
      expect(line.msg).toBe(`command plan:vote ${String(line.code)}`);
      expect(typeof line.durationMs).toBe("number");
      expect(line.durationMs).toBeGreaterThanOrEqual(0);
      expect(typeof line.time).toBe("string");
    }
    const submit = commands.find((l) => l.command === "plan:submit");
    expect(submit).toMatchObject({ principal: "agent-1", planId, code: "OK" });

    const transitions = lines.filter((l) => l.audit === "plan");
    expect(transitions.map((l) => l.event)).toEqual(["plan.submitted", "plan.approved", "plan.started", "plan.completed"]);
    expect(transitions.every((l) => l.planId === planId)).toBe(true);
    expect(transitions[0]).toMatchObject({ actor: "agent-1", steps: 1, version: 1 });
    expect(transitions[1]).toMatchObject({ actor: "rev-2", by: ["rev-1", "rev-2"] });
  });

  it("never writes a token: not from commands, handshakes, HTTP headers or a dashboard link's query", async () => {
    const memory = memoryLog();
    const server = await scope.start({ log: memory.log });
    const agent = await scope.join("agent-1");
    await agent.ok("session:whoami", {});
    await agent.cmd("plan:submit", { plan: { description: "bad", steps: [] } });
    await fetch(`${server.url}/api/plans`, { headers: { authorization: `Bearer ${tokenOf("rev-1")}` } });
    await fetch(`${server.url}/?token=${tokenOf("root")}`);
    await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${tokenOf("root")}` } });
    await fetch(`${server.url}/api/plans`, { headers: { authorization: "Bearer unknown-token-0123456789" } });
    await fetch(`${server.url}/metrics`);
    await fetch(`${server.url}/healthz`);

    // Successful probes and scrapes get no line; the API and every refusal do.
    const http = memory.lines().filter((l) => l.audit === "http");
    expect(http.map((l) => [l.method, l.path, l.status, l.principal])).toEqual([
      ["GET", "/api/plans", 200, "rev-1"],
      ["GET", "/", 404, undefined],
      ["GET", "/api/plans", 401, undefined],
      ["GET", "/metrics", 401, undefined],
    ]);
    const text = memory.text();
    expect(text).toContain("session:whoami");
    for (const token of [...TEST_PRINCIPALS.map((p) => p.token), "unknown-token-0123456789"]) expect(text).not.toContain(token);
  });

  it("redacts tokens and Authorization headers whoever logs them", () => {
    const memory = memoryLog();
    memory.log.info("handshake", { token: "top-secret-token-1", headers: { authorization: "Bearer top-secret-token-2" }, auth: { token: "top-secret-token-3" }, principal: { token: "top-secret-token-4" } });
    expect(memory.text()).not.toMatch(/top-secret-token/);
    expect(memory.lines()[0]).toMatchObject({ msg: "handshake", token: "[redacted]", headers: { authorization: "[redacted]" }, auth: { token: "[redacted]" } });
  });

  it("logs nothing below its level: at warn, no audit lines", async () => {
    const memory = memoryLog("warn");
    await scope.start({ log: memory.log });
    const agent = await scope.join("agent-1");
    await agent.ok("session:whoami", {});
    memory.log.warn("a warning", { n: 1 });
    // the test server has no built dashboard, which start-up warns about: only warnings pass the level
    expect(memory.lines().filter((line) => line.level !== "warn")).toEqual([]);
    expect(memory.lines()).toContainEqual(expect.objectContaining({ level: "warn", msg: "a warning", n: 1 }));
  });

  it("writes pretty lines for people when asked", () => {
    const stream = new PassThrough();
    let text = "";
    stream.on("data", (chunk: Buffer) => (text += chunk.toString()));
    createStructuredLogger({ stream, format: "pretty" }).info("command plan:vote OK", { principal: "rev-1", token: "pretty-secret-token" });
    expect(text).toContain("INFO");
    expect(text).toContain("command plan:vote OK");
    expect(text).toContain("rev-1");
    expect(text).not.toContain("pretty-secret-token");
    expect(text.trimStart().startsWith("{")).toBe(false);
  });
});
