import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Logger } from "../../../server/runtime/logger.js";
import { chainPlan, connect, startTestServer } from "../../support/planroom-test-kit.js";

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "planroom-index-rebuild-"));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A logger that keeps the warnings. */
function warningsLogger(): { log: Logger; warnings: string[] } {
  const warnings: string[] = [];
  return { log: { info() {}, error() {}, warn: (message) => warnings.push(message) }, warnings };
}

describe("a server started on a data directory whose plan index was deleted", () => {
  it("rebuilds the index from the logs, says so, and lists and serves the plans as before", async () => {
    const dataDir = join(root, "data");
    const tools = { t: () => 1 };
    const first = await startTestServer({ dataDir, store: undefined, tools });
    const ids: string[] = [];
    let listedBefore: unknown;
    let joinedBefore: unknown;
    {
      const agent = await connect(first.url, "agent-1");
      const reviewer = await connect(first.url, "rev-1");
      try {
        for (let i = 0; i < 3; i++) ids.push((await agent.ok("plan:submit", { plan: chainPlan(["t"], `plan ${i}`), approval: { reviewers: ["rev-1"] } })).planId);
        await agent.ok("plan:cancel", { planId: ids[0]! });
        await reviewer.ok("plan:vote", { planId: ids[1]!, version: 1, decision: "reject" });
        listedBefore = (await reviewer.ok("plans:list", {})).plans;
        joinedBefore = (await reviewer.ok("plan:join", { planId: ids[1]!, afterSeq: 0 })).events;
      } finally {
        agent.close();
        reviewer.close();
      }
      await first.close();
    }
    await rm(join(dataDir, "plan-index.jsonl"));

    const { log, warnings } = warningsLogger();
    const second = await startTestServer({ dataDir, store: undefined, tools, log });
    try {
      expect(warnings).toContainEqual("store: no plan index; rebuilt the plan index of 3 plans from their logs");
      const reviewer = await connect(second.url, "rev-1");
      try {
        expect((await reviewer.ok("plans:list", {})).plans).toEqual(listedBefore);
        expect((await reviewer.ok("plans:list", { status: "pending_approval" })).plans.map((p) => p.id)).toEqual([ids[2]]);
        expect((await reviewer.ok("plan:join", { planId: ids[1]!, afterSeq: 0 })).events).toEqual(joinedBefore);
      } finally {
        reviewer.close();
      }
    } finally {
      await second.close();
    }
  });
});
