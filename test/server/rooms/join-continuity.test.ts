import { describe, expect, it } from "vitest";
import type { PlanEvent } from "../../../shared/index.js";
import { type TestClient, useTestServer } from "../../support/planroom-test-kit.js";

const scope = useTestServer();

describe("joining a running plan", () => {
  it("snapshot, replay and live stream fit together: every seq once, in order, even when the replay comes from the log", { timeout: 60_000 }, async () => {
    // 5,000 steps make 10,000+ events: more than a room keeps in memory, so an early afterSeq is read from the store.
    await scope.start({ tools: { t: () => new Promise((resolve) => setTimeout(() => resolve(null), 1)) } });
    const agent = await scope.join("agent-1");
    const watcher = await scope.join("rev-1");
    const steps = Array.from({ length: 5_000 }, (_, i) => ({ id: `s${i}`, tool: "t" }));
    const { planId } = await agent.ok("plan:submit", { plan: { description: "long", options: { maxParallelSteps: 8 }, steps }, autoExecute: true });
    await watcher.ok("plan:join", { planId });
    await watcher.ok("plan:vote", { planId, version: 1, decision: "approve" });
    const joiners: { client: TestClient; received: PlanEvent[] }[] = [];
    for (const threshold of [5, 2_000, 4_200]) {
      await watcher.waitFor((e) => e.seq >= threshold);
      const client = await scope.join("obs");
      const { snapshot, events } = await client.ok("plan:join", { planId, afterSeq: 0 });
      expect(events[events.length - 1]?.seq ?? 0).toBe(snapshot.seq);
      joiners.push({ client, received: events });
      expect(snapshot.plan.status).toBe("executing");
    }
    const end = await watcher.waitFor((e) => e.type === "plan.completed", 30_000);
    for (const { client, received } of joiners) {
      if (!received.some((e) => e.type === "plan.completed")) await client.waitFor((e) => e.type === "plan.completed", 30_000);
      const all = [...received, ...client.events];
      expect(all.map((e) => e.seq)).toEqual(Array.from({ length: end.seq }, (_, i) => i + 1));
    }
  });
});
