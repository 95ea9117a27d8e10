import { describe, expect, it } from "vitest";
import { COMMANDS, PlanEventSchema, PlanListItemSchema, SnapshotSchema } from "../../../../shared/index.js";
import { chainPlan, useTestServer } from "../../../support/planroom-test-kit.js";
import { expectAckResult, expectWireShape } from "../../../support/wire-schemas.js";

const scope = useTestServer();

describe("what the server sends matches the shared schemas", () => {
  it("join snapshots, list rows, watch rows, events and acks of a whole run", async () => {
    await scope.start({ tools: { a: () => 1, b: () => ({ ok: true }) } });
    const agent = await scope.join("agent-1");
    const reviewer = await scope.join("rev-1");
    const submitted = await agent.ok("plan:submit", { plan: chainPlan(["a", "b"]), autoExecute: true });
    expectAckResult(COMMANDS["plan:submit"].output, submitted);
    const joined = await reviewer.ok("plan:join", { planId: submitted.planId, afterSeq: 0 });
    expectWireShape(SnapshotSchema, joined.snapshot);
    expectAckResult(COMMANDS["plan:vote"].output, await reviewer.ok("plan:vote", { planId: submitted.planId, version: 1, decision: "approve" }));
    await reviewer.waitFor((e) => e.type === "plan.completed");
    for (const event of [...joined.events, ...reviewer.events]) expectWireShape(PlanEventSchema, event);
    expect(reviewer.events.map((e) => e.type)).toContain("step.completed");

    const listed = await reviewer.ok("plans:list", {});
    expect(listed.plans).toHaveLength(1);
    for (const row of listed.plans) expectWireShape(PlanListItemSchema, row);
    const watched = await reviewer.ok("plans:watch", {});
    for (const row of watched.plans) expectWireShape(PlanListItemSchema, row);
    expectWireShape(SnapshotSchema, (await reviewer.ok("plan:join", { planId: submitted.planId })).snapshot);
  });
});
