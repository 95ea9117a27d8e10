import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type PlanHandle, type PlanroomClient } from "../../client/index.js";
import { reviewLink } from "../../shared/index.js";
import { hasChromium, startRig, type DashboardRig } from "../support/dashboard-rig.js";
import { dashboardTokenOf } from "../support/test-principals.js";

let rig: DashboardRig;
let agent: PlanroomClient;
let plan: PlanHandle;

beforeAll(async () => {
  if (!hasChromium) return;
  rig = await startRig();
  agent = connect(rig.server.url, { token: dashboardTokenOf("deploy-bot") });
  plan = await agent.submit({ description: "Rotate the staging keys", steps: [{ id: "rotate", tool: "rotate_keys" }] }, { tools: { rotate_keys: () => "rotated" }, autoExecute: false });
}, 60_000);

afterAll(async () => {
  agent?.close();
  await rig?.close();
});

/** Waits until `page` is signed in as `name` and shows `planId`'s room. */
async function signedInOnPlan(page: Page, name: string, planId: string): Promise<void> {
  await page.locator(".whoami-name", { hasText: name }).waitFor();
  await page.locator(".room-title h1", { hasText: "Rotate the staging keys" }).waitFor();
  expect(page.url()).toContain(`#/plans/${planId}`);
}

describe.runIf(hasChromium)("review links in Chromium", () => {
  it("signs in from a fragment link, opens its plan and leaves no token in the address bar", async () => {
    const link = reviewLink({ serverUrl: rig.server.url, planId: plan.planId, token: dashboardTokenOf("alice") });
    expect(new URL(link).search).toBe("");
    const page = await rig.open(link.slice(rig.server.url.length));
    await signedInOnPlan(page, "Alice Martin", plan.planId);
    expect(await page.evaluate(() => window.location.href)).not.toContain("token");
  }, 60_000);

  it("moves the old query form's token out of the address bar and opens the plan", async () => {
    const page = await rig.open(`/?token=${dashboardTokenOf("bob")}#/plans/${plan.planId}`);
    await signedInOnPlan(page, "Bob Chen", plan.planId);
    expect(await page.evaluate(() => window.location.href)).not.toContain("token");
    expect(await page.evaluate(() => window.location.search)).toBe("");
  }, 60_000);

  it("takes the token of a link opened in a tab already on the dashboard", async () => {
    const page = await rig.open(reviewLink({ serverUrl: "", token: dashboardTokenOf("alice") }));
    await page.locator(".whoami-name", { hasText: "Alice Martin" }).waitFor();
    const link = reviewLink({ serverUrl: "", planId: plan.planId, token: dashboardTokenOf("bob") });
    await page.evaluate((hash) => (window.location.hash = hash), link.slice(link.indexOf("#")));
    await signedInOnPlan(page, "Bob Chen", plan.planId);
    expect(await page.evaluate(() => window.location.href)).not.toContain("token");
  }, 60_000);
});
