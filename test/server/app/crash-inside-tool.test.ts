import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { PlanEvent } from "../../../shared/index.js";
import { startChildServer, type ChildServer } from "../../support/child-server.js";
import { connect, type TestClient } from "../../support/planroom-test-kit.js";
import { TEST_PRINCIPALS } from "../../support/test-principals.js";

const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

const TOOLS = resolve("test/fixtures/crash-tools.ts");
const TERMINAL = new Set(["plan.completed", "plan.failed", "plan.cancelled"]);

interface Variant {
  name: string;
  /** Step id → its dependencies. */
  graph: Record<string, string[]>;
  killAt: string;
  kill: "during" | "after";
  maxAttempts: number;
  outcome: "plan.completed" | "plan.failed";
}

const chain = { a: [], b: ["a"], c: ["b"] };
const fan = { a: [], b1: ["a"], b2: ["a"], b3: ["a"], c: ["b1", "b2", "b3"] };
const VARIANTS: Variant[] = [
  { name: "the middle step's tool kills the server as it starts, with a retry left", graph: chain, killAt: "b", kill: "during", maxAttempts: 2, outcome: "plan.completed" },
  { name: "the middle step's tool kills the server as it starts, without retries", graph: chain, killAt: "b", kill: "during", maxAttempts: 1, outcome: "plan.failed" },
  { name: "the first step's tool kills the server right after it answered", graph: chain, killAt: "a", kill: "after", maxAttempts: 2, outcome: "plan.completed" },
  { name: "one of three parallel steps kills the server as it starts", graph: fan, killAt: "b2", kill: "during", maxAttempts: 2, outcome: "plan.completed" },
  { name: "the last step's tool kills the server right after it answered", graph: chain, killAt: "c", kill: "after", maxAttempts: 2, outcome: "plan.completed" },
];

async function exited(server: ChildServer): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  await new Promise((r) => server.child.once("exit", r));
}

/** Joins the plan until its log holds a terminal event; returns the whole log. */
async function finalLog(client: TestClient, planId: string): Promise<PlanEvent[]> {
  for (let i = 0; i < 200; i++) {
    const { events } = await client.ok("plan:join", { planId, afterSeq: 0 });
    if (events.some((e) => TERMINAL.has(e.type))) return events;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("the plan did not finish after the restart");
}

describe("a server killed from inside a tool", () => {
  for (const v of VARIANTS) {
    it(`${v.name}: every attempt that ran is in the log, no key is used twice, no dependent ran on an unrecorded result`, { timeout: 60_000 }, async () => {
      const dir = await mkdtemp(join(tmpdir(), "planroom-crash-"));
      cleanup.push(() => rm(dir, { recursive: true, force: true }));
      const ran = join(dir, "ran");
      const killed = join(dir, "killed");
      await writeFile(ran, "");
      const config = join(dir, "config.json");
      await writeFile(config, JSON.stringify({ principals: TEST_PRINCIPALS }));
      const args = ["--data", join(dir, "data"), "--port", "0", "--config", config, "--tools", TOOLS];

      let server = await startChildServer(args);
      cleanup.push(() => server.kill("SIGKILL"));
      const agent = await connect(server.url, "agent-1");
      const reviewer = await connect(server.url, "rev-1");
      cleanup.push(() => (agent.close(), reviewer.close()));
      const steps = Object.entries(v.graph).map(([id, dependsOn]) => ({ id, tool: "work", dependsOn, params: { ran, killed, ...(id === v.killAt ? { kill: v.kill } : {}) } }));
      const plan = { description: v.name, options: { allowParallel: true, retry: { maxAttempts: v.maxAttempts, backoffMs: 0 } }, steps };
      const { planId } = await agent.ok("plan:submit", { plan, autoExecute: true });
      await reviewer.ok("plan:vote", { planId, version: 1, decision: "approve" });
      await exited(server);
      agent.close();
      reviewer.close();

      server = await startChildServer(args);
      const back = await connect(server.url, "rev-1");
      cleanup.push(() => back.close());
      const log = await finalLog(back, planId);

      const keys = (await readFile(ran, "utf8")).split("\n").filter((k) => k !== "");
      expect(new Set(keys).size, `an idempotency key was used twice: ${keys.join(", ")}`).toBe(keys.length);
      const startedAt = new Map<string, number>();
      const completedAt = new Map<string, number>();
      for (const e of log) {
        if (e.type === "step.started") startedAt.set(`${planId}:${e.data.stepId}:${e.data.attempt}`, e.seq);
        if (e.type === "step.completed") completedAt.set(e.data.stepId, e.seq);
      }
      for (const key of keys) {
        const seq = startedAt.get(key);
        expect(seq, `attempt ${key} ran but its start is not in the log`).toBeDefined();
        const stepId = key.split(":")[1]!;
        for (const dep of v.graph[stepId]!) {
          const done = completedAt.get(dep);
          expect(done !== undefined && done < seq!, `${key} ran before the completion of ${dep} was recorded`).toBe(true);
        }
      }
      // The attempt the crash cut short is recorded as interrupted, and only a new attempt follows.
      const cut = (await readFile(killed, "utf8")).split(":");
      const interrupted = log.find((e) => (e.type === "step.retrying" || e.type === "step.failed") && e.data.stepId === cut[1] && e.data.error.code === "INTERRUPTED");
      if (v.kill === "during") expect(interrupted, "the killed attempt is not marked interrupted").toBeDefined();
      expect(log.at(-1)?.type).toBe(v.outcome);
    });
  }
});
