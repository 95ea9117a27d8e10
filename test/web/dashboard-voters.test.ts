import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type PlanroomClient } from "../../client/index.js";
import { hasChromium, startRig, type DashboardRig } from "../support/dashboard-rig.js";
import { dashboardTokenOf } from "../support/test-principals.js";

/** A server that lets reviewers and admins vote (`approvalRules.voterRoles`). */
let rig: DashboardRig;
const clients: PlanroomClient[] = [];

beforeAll(async () => {
  if (hasChromium) rig = await startRig({ approvalRules: { voterRoles: ["reviewer", "admin"] } });
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await rig?.close();
});

function agent(): PlanroomClient {
  const client = connect(rig.server.url, { token: dashboardTokenOf("deploy-bot"), socketOptions: { transports: ["websocket"] } });
  clients.push(client);
  return client;
}

describe.runIf(hasChromium)("the approval panel under the server's voter roles", () => {
  it("enables voting for an admin the policy names, and tells an observer the server's rule as the server states it", async () => {
    const plan = await agent().submit({ description: "Scale the workers", steps: [{ id: "scale", tool: "scale", params: { n: 4 } }] }, { approval: { reviewers: ["admin"] }, tools: { scale: () => "scaled" }, autoExecute: false });
    const rita = await rig.open(`/?token=${dashboardTokenOf("root")}#/plans/${plan.planId}`);
    const olga = await rig.open(`/?token=${dashboardTokenOf("olga")}#/plans/${plan.planId}`);
    for (const page of [rita, olga]) await page.locator('.room-title [data-plan-status="pending_approval"]').waitFor();

    // The observer: refused before any click, with the reason the server gives for such a vote.
    expect(await olga.locator('button[data-action="approve"]').isDisabled()).toBe(true);
    expect(await olga.locator('button[data-action="reject"]').isDisabled()).toBe(true);
    const reason = "this server lets only principals with the role reviewer or admin vote, and you have the role observer";
    expect(await olga.locator("#vote-hint").textContent()).toBe(`You cannot vote: ${reason}.`);
    const server = connect(rig.server.url, { token: dashboardTokenOf("olga"), socketOptions: { transports: ["websocket"] } });
    clients.push(server);
    await expect(server.command("plan:vote", { planId: plan.planId, version: 1, decision: "approve" })).rejects.toMatchObject({ code: "FORBIDDEN", message: `${reason} (plan ${plan.planId})` });

    // The admin, named by the policy on a server that lets admins vote: votes from the panel.
    const approve = rita.locator('button[data-action="approve"]');
    expect(await approve.isDisabled()).toBe(false);
    await approve.click();
    await rita.locator('.room-title [data-plan-status="approved"]').waitFor();
    await olga.locator('.votes [data-voter="root"]').waitFor();
  }, 60_000);
});
