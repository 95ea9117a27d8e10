import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type PlanroomClient } from "../../client/index.js";
import type { PlanInput } from "../../shared/index.js";
import { hasChromium, OUTPUT_DIR, startRig, type DashboardRig } from "../support/dashboard-rig.js";
import { Gates } from "../support/step-gates.js";
import { dashboardTokenOf } from "../support/test-principals.js";

let rig: DashboardRig;
const clients: PlanroomClient[] = [];

beforeAll(async () => {
  if (hasChromium) rig = await startRig();
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

const RELEASE: PlanInput = {
  description: "Release web app 2.4.0 to staging",
  options: { stopOnError: false, maxParallelSteps: 3 },
  steps: [
    { id: "fetch", tool: "git_checkout", description: "Check out the release tag", params: { repo: "acme/web", ref: "v2.4.0" } },
    { id: "build", tool: "run_build", description: "Build the production bundle", params: { target: "production", cache: true }, dependsOn: ["fetch"] },
    { id: "lint", tool: "run_lint", description: "Lint the sources", params: { fix: false }, dependsOn: ["fetch"] },
    { id: "notify", tool: "post_message", description: "Announce the release", params: { channel: "#deploys", text: "Deploying 2.4.0 to staging" }, dependsOn: ["fetch"] },
    { id: "test", tool: "run_tests", description: "Run the unit tests", params: { suite: "unit", shards: 4 }, dependsOn: ["build"] },
    { id: "deploy", tool: "deploy", description: "Deploy to staging", params: { env: "staging", replicas: 3 }, dependsOn: ["test", "lint"] },
  ],
};

/** The agent's tools: each call waits for its step's gate; `post_message` fails. */
function releaseTools(gates: Gates) {
  const tool = async (params: Record<string, unknown>, ctx: { stepId: string }) => {
    await gates.wait(ctx.stepId);
    return { ok: true, step: ctx.stepId, params };
  };
  return {
    git_checkout: tool,
    run_build: tool,
    run_lint: tool,
    run_tests: tool,
    deploy: tool,
    post_message: async (_params: Record<string, unknown>, ctx: { stepId: string }) => {
      await gates.wait(ctx.stepId);
      throw new Error("channel #deploys does not exist");
    },
  };
}

const node = (page: Page, id: string, status: string) => page.locator(`svg.dag g[data-step-id="${id}"][data-status="${status}"]`);
const statuses = (page: Page) => page.$$eval("svg.dag g[data-step-id]", (nodes) => nodes.map((n) => `${n.getAttribute("data-step-id")}:${n.getAttribute("data-status")}`));

describe.runIf(hasChromium)("the dashboard in Chromium", () => {
  it("lets two reviewers approve an agent's plan, shows the run live across a reload, and lets an admin resume it after it failed", async () => {
    const gates = new Gates();
    const plan = await agent().submit(RELEASE, { approval: { quorum: 2 }, autoExecute: true, tools: releaseTools(gates) });
    const link = `/?token=${dashboardTokenOf("alice")}#/plans/${plan.planId}`;
    const alice = await rig.open(link);
    const bob = await rig.open(`/?token=${dashboardTokenOf("bob")}#/plans/${plan.planId}`);

    // Signed in from the link; the token is gone from the address bar; who you are is shown.
    await alice.locator(".whoami-name", { hasText: "Alice Martin" }).waitFor();
    expect(alice.url()).not.toContain("token=");
    expect(alice.url()).toContain(`#/plans/${plan.planId}`);
    expect(await alice.locator(".whoami .role").allTextContents()).toEqual(["reviewer"]);
    await alice.locator(".connection[data-state=connected]").waitFor();

    // The plan is readable: description, graph in layers, formatted text, params, policy.
    await alice.locator(".room-title h1", { hasText: RELEASE.description }).waitFor();
    expect(await alice.locator("svg.dag g[data-step-id]").count()).toBe(6);
    expect(await alice.locator("svg.dag path.dag-edge").count()).toBe(6);
    const x = async (id: string) => Number(await alice.locator(`svg.dag g[data-step-id="${id}"] rect.dag-box`).getAttribute("x"));
    expect(await x("fetch")).toBeLessThan(await x("build"));
    expect(await x("build")).toBeLessThan(await x("test"));
    expect(await x("test")).toBeLessThan(await x("deploy"));
    expect(await alice.locator(".plan-text").textContent()).toContain("git_checkout");
    expect(await alice.locator('[data-step-id="build"] pre.code').first().textContent()).toContain('"target": "production"');
    expect(await alice.locator(".approval .tally-text").textContent()).toContain("0/2");
    await bob.locator('.presence [data-member="alice"]').waitFor();

    // Alice approves with a comment (mouse); Bob with the keyboard only.
    await alice.locator("#vote-comment").fill("Release notes checked");
    await alice.locator('button[data-action="approve"]').click();
    for (const page of [alice, bob]) await page.locator('.votes [data-voter="alice"]', { hasText: "Release notes checked" }).waitFor();
    expect(await bob.locator(".approval .tally-text").textContent()).toContain("1/2");
    await bob.locator("#vote-comment").focus();
    await bob.keyboard.type("Ship it");
    await bob.keyboard.press("Tab");
    expect(await bob.evaluate(() => document.activeElement?.getAttribute("data-action"))).toBe("approve");
    await bob.keyboard.press("Enter");
    for (const page of [alice, bob]) {
      await page.locator('.votes [data-voter="bob"]', { hasText: "Ship it" }).waitFor();
      await page.locator(".decision-approved", { hasText: "Alice Martin, Bob Chen" }).waitFor();
    }

    // The run, step by step: nodes turn blue then green on both pages.
    for (const page of [alice, bob]) await node(page, "fetch", "running").waitFor();
    gates.release("fetch");
    for (const page of [alice, bob]) await node(page, "fetch", "completed").waitFor();
    const stripe = alice.locator('svg.dag g[data-step-id="fetch"] rect.dag-stripe');
    await expect.poll(() => stripe.evaluate((el) => getComputedStyle(el).fill), { timeout: 5_000 }).toBe("rgb(22, 163, 74)"); // green
    gates.release("build");
    gates.release("notify");
    for (const page of [alice, bob]) {
      await node(page, "build", "completed").waitFor();
      await node(page, "notify", "failed").waitFor();
      await node(page, "test", "running").waitFor();
    }
    await alice.locator('.step[data-step-id="notify"] .step-error', { hasText: "channel #deploys does not exist" }).waitFor();
    await alice.locator('.timeline-row[data-step-id="build"] .timeline-bar').waitFor();
    await alice.waitForTimeout(1_200); // let the running bars grow for the picture
    await alice.evaluate(() => window.scrollTo(0, 0));
    await alice.screenshot({ path: join(OUTPUT_DIR, "plan-room-running.png") });
    await alice.screenshot({ path: join(OUTPUT_DIR, "plan-room-running-full.png"), fullPage: true });

    // A reload mid-run restores the same state.
    const before = await statuses(alice);
    await bob.reload();
    await bob.locator(".whoami-name", { hasText: "Bob Chen" }).waitFor();
    await node(bob, "notify", "failed").waitFor();
    expect(await statuses(bob)).toEqual(before);
    expect(await bob.locator(".approval .tally-text").textContent()).toContain("2/2");
    expect(await bob.locator(".progress-pct").textContent()).toBe(await alice.locator(".progress-pct").textContent());
    await bob.locator(".event-log .event", { hasText: "Step notify failed" }).waitFor();

    // The rest of the run: progress reaches 100%, the failed step keeps its error.
    for (const id of ["lint", "test", "deploy"]) gates.release(id);
    for (const page of [alice, bob]) {
      await node(page, "deploy", "completed").waitFor();
      await page.locator('.progress-pct[data-progress="100"]').waitFor();
      await page.locator('.room-title [data-plan-status="failed"]').waitFor();
    }
    expect(await statuses(bob)).toEqual(["fetch:completed", "build:completed", "lint:completed", "notify:failed", "test:completed", "deploy:completed"]);
    expect(await bob.locator('.step[data-step-id="notify"] .step-error').textContent()).toContain("channel #deploys does not exist");
    await alice.screenshot({ path: join(OUTPUT_DIR, "plan-room-finished.png"), fullPage: true });
    await plan.done();

    // Resume: a reviewer may not, and is told why; an admin may, and the plan goes back to approval.
    const aliceResume = alice.locator('button[data-action="resume"]');
    expect(await aliceResume.isDisabled()).toBe(true);
    expect(await alice.locator("#run-blocked").textContent()).toBe("You cannot resume the plan: only the submitter and admins may resume a plan.");
    const root = await rig.open(`/?token=${dashboardTokenOf("root")}#/plans/${plan.planId}`);
    const resume = root.locator('button[data-action="resume"]');
    await resume.waitFor();
    expect(await resume.isDisabled()).toBe(false);
    const described = await resume.evaluate((el) => (el.getAttribute("aria-describedby") ?? "").split(" ").map((id) => document.getElementById(id)?.textContent ?? "").join(" "));
    expect(described).toContain("Sends the plan back to approval");
    await resume.click();
    for (const page of [alice, root]) {
      await page.locator('.room-title [data-plan-status="pending_approval"]').waitFor();
      await node(page, "notify", "pending").waitFor();
      await page.locator(".approval .tally-text", { hasText: "0/2" }).waitFor();
    }
    expect(await statuses(root)).toEqual(["fetch:completed", "build:completed", "lint:completed", "notify:pending", "test:completed", "deploy:completed"]);
    expect(await root.locator('button[data-action="resume"]').count()).toBe(0);
    expect(await alice.locator('button[data-action="approve"]').isDisabled()).toBe(false);
    await plan.cancel("not resuming after all");
  }, 90_000);

  it("lists plans live and shows an observer the vote buttons disabled, with the reason", async () => {
    const olga = await rig.open(`/?token=${dashboardTokenOf("olga")}#/`);
    await olga.locator("#plans-title").waitFor();
    const plan = await agent().submit({ description: "Rotate the staging database password", steps: [{ id: "rotate", tool: "rotate_secret", params: { name: "db" } }] }, { tools: { rotate_secret: () => "rotated" } });
    const row = olga.locator(`tr[data-plan-id="${plan.planId}"]`);
    await row.waitFor();
    expect(await row.locator(".votes-cell").textContent()).toBe("0/1 approval");
    expect(await row.locator(".badge").textContent()).toBe("Pending approval");
    await olga.screenshot({ path: join(OUTPUT_DIR, "plans-list.png") });
    await olga.locator('.chip[data-filter="completed"]').click();
    await row.waitFor({ state: "detached" });
    await olga.locator('.chip[data-filter="pending"]').click();
    await row.locator("a.plan-link").click();
    await olga.locator(".room-title h1", { hasText: "Rotate the staging database password" }).waitFor();
    expect(await olga.locator('button[data-action="approve"]').isDisabled()).toBe(true);
    expect(await olga.locator('button[data-action="reject"]').isDisabled()).toBe(true);
    expect(await olga.locator("#vote-comment").isDisabled()).toBe(true);
    expect(await olga.locator("#vote-hint").textContent()).toBe("You cannot vote: this server lets only principals with the role reviewer vote, and you have the role observer.");
    expect(await olga.locator('button[data-action="cancel"]').count()).toBe(0);
    await plan.cancel("not needed");
    await olga.locator('.room-title [data-plan-status="cancelled"]').waitFor();
  }, 60_000);

  it("keeps the plans table within the page and DAG labels apart when words and step ids are long", async () => {
    const word = "x".repeat(10) + "_unbroken_" + "y".repeat(50);
    expect(word).toHaveLength(70);
    const description = `Move the ${word} cluster to the new storage engine while keeping every read replica online and verifying checksums of each table partition`;
    const longId = (n: number) => `step_with_a_rather_long_identifier_${n}`;
    const plan = await agent().submit(
      {
        description,
        steps: [
          { id: longId(1), tool: "echo" },
          { id: longId(2), tool: "a_tool_with_a_long_name_too", dependsOn: [longId(1)] },
          { id: "id", tool: "another_rather_long_tool_name_here", dependsOn: [longId(1)] },
          { id: `${longId(3)}_${"z".repeat(25)}`, tool: "t", dependsOn: [longId(2), "id"] },
        ],
      },
      { tools: { echo: () => "ok", a_tool_with_a_long_name_too: () => "ok", another_rather_long_tool_name_here: () => "ok", t: () => "ok" } },
    );
    const page = await rig.open(`/?token=${dashboardTokenOf("alice")}#/`);
    await page.setViewportSize({ width: 1280, height: 900 });
    const row = page.locator(`tr[data-plan-id="${plan.planId}"]`);
    await row.waitFor();
    const fit = await page.$eval("table.plans", (table) => {
      const card = table.parentElement!;
      const th = Array.from(table.querySelectorAll("th")).map((cell) => cell.getBoundingClientRect().right);
      return { scroll: table.scrollWidth, client: card.clientWidth, cardScroll: card.scrollWidth, right: Math.max(...th), viewport: document.documentElement.clientWidth };
    });
    expect(fit.scroll).toBeLessThanOrEqual(fit.client);
    expect(fit.cardScroll).toBeLessThanOrEqual(fit.client);
    expect(fit.right).toBeLessThanOrEqual(fit.viewport);
    const link = row.locator("a.plan-link");
    expect(await link.getAttribute("title")).toBe(description);
    const clamp = await link.evaluate((a) => ({ height: a.getBoundingClientRect().height, line: parseFloat(getComputedStyle(a).lineHeight) }));
    expect(clamp.height).toBeLessThanOrEqual(2 * clamp.line + 1);
    await row.screenshot({ path: join(OUTPUT_DIR, "plans-list-long-words-row.png") });
    await page.screenshot({ path: join(OUTPUT_DIR, "plans-list-long-words.png") });

    await link.click();
    await page.locator(".room-title h1").waitFor();
    await page.locator("svg.dag g[data-step-id]").first().waitFor();
    const title = await page.$eval(".room-title h1", (h1) => ({ right: h1.getBoundingClientRect().right, viewport: document.documentElement.clientWidth }));
    expect(title.right).toBeLessThanOrEqual(title.viewport);
    const nodes = await page.$$eval("svg.dag g[data-step-id]", (groups) =>
      groups.map((g) => {
        const box = g.querySelector("rect.dag-box")!.getBoundingClientRect();
        const texts = Array.from(g.querySelectorAll("text")).map((t) => {
          const r = t.getBoundingClientRect();
          return { text: t.textContent ?? "", left: r.left, right: r.right, top: r.top, bottom: r.bottom };
        });
        return { id: g.getAttribute("data-step-id")!, label: g.getAttribute("aria-label") ?? "", title: g.querySelector("title")?.textContent ?? "", box: { left: box.left, right: box.right }, texts };
      }),
    );
    expect(nodes).toHaveLength(4);
    for (const node of nodes) {
      expect(node.texts).toHaveLength(3);
      for (const t of node.texts) {
        expect(t.text.length, `${node.id}: empty text`).toBeGreaterThan(0);
        expect(t.left, `${node.id}: "${t.text}" leaves the box`).toBeGreaterThanOrEqual(node.box.left);
        expect(t.right, `${node.id}: "${t.text}" leaves the box`).toBeLessThanOrEqual(node.box.right);
      }
      for (let i = 0; i < node.texts.length; i++) {
        for (let j = i + 1; j < node.texts.length; j++) {
          const a = node.texts[i]!;
          const b = node.texts[j]!;
          const overlap = a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
          expect(overlap, `${node.id}: "${a.text}" overlaps "${b.text}"`).toBe(false);
        }
      }
      // The whole id and tool stay available as the tooltip and the accessible name.
      expect(node.title).toContain(node.id);
      expect(node.label).toContain(node.id);
    }
    const short = nodes.find((n) => n.id === "id")!;
    expect(short.texts[1]!.text.length).toBeGreaterThan(8);
    await page.locator("svg.dag").screenshot({ path: join(OUTPUT_DIR, "dag-long-ids.png") });
    await page.screenshot({ path: join(OUTPUT_DIR, "plan-room-long-words.png") });
    await plan.cancel("layout check done");
  }, 60_000);

  it("shows a revision, counts down to expiry, lets a permitted reviewer cancel, and catches up after a reconnection", async () => {
    const plan = await agent().submit(
      { description: "Clean up old preview environments", steps: [{ id: "list", tool: "list_envs", params: { older_than_days: 14 } }, { id: "drop", tool: "drop_envs", dependsOn: ["list"] }] },
      { approval: { quorum: 2, expiresInMs: 600_000, reviewersMayCancel: true }, tools: { list_envs: () => [], drop_envs: () => 0 } },
    );
    const alice = await rig.open(`/?token=${dashboardTokenOf("alice")}#/plans/${plan.planId}`);
    await alice.locator(".connection[data-state=connected]").waitFor();
    expect(await alice.locator(".approval .countdown").textContent()).toMatch(/^in (10:00|9:[0-5]\d)$/);

    // Rejecting needs a reason: the box says so and takes the focus; nothing is sent.
    await alice.locator('button[data-action="reject"]').click();
    await alice.locator("#vote-error", { hasText: "Say why you reject" }).waitFor();
    expect(await alice.evaluate(() => document.activeElement?.id)).toBe("vote-comment");
    expect(await alice.locator(".votes .vote").count()).toBe(0);

    // Bob votes from the SDK; the agent then revises, which dismisses his vote.
    const bob = connect(rig.server.url, { token: dashboardTokenOf("bob"), socketOptions: { transports: ["websocket"] } });
    clients.push(bob);
    const bobRoom = await bob.join(plan.planId);
    await bobRoom.approve("fine by me");
    await alice.locator('.votes [data-voter="bob"]').waitFor();
    await plan.revise({ steps: [{ id: "list", tool: "list_envs", params: { older_than_days: 30 } }, { id: "drop", tool: "drop_envs", dependsOn: ["list"] }, { id: "report", tool: "list_envs", dependsOn: ["drop"] }] });
    await alice.locator(".revision", { hasText: "Revised to version 2" }).waitFor();
    const revision = await alice.locator(".revision").textContent();
    expect(revision).toContain("added report");
    expect(revision).toContain("changed list");
    expect(revision).toContain("1 earlier vote was dismissed");
    expect(await alice.locator('.votes [data-voter="bob"]').count()).toBe(0);
    await alice.locator('svg.dag g[data-step-id="report"]').waitFor();

    // The connection drops; a vote cast meanwhile shows up once the page is back.
    await alice.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { connectionStates: string[] }).connectionStates = seen;
      const badge = document.querySelector(".connection")!;
      new MutationObserver(() => seen.push(badge.getAttribute("data-state") ?? "")).observe(badge, { attributes: true, attributeFilter: ["data-state"] });
    });
    const sockets = await rig.server.io.fetchSockets();
    for (const socket of sockets) if (socket.data.principal.id === "alice") (rig.server.io.sockets.sockets.get(socket.id)?.conn as { close(): void } | undefined)?.close();
    await bobRoom.approve("still fine");
    await alice.locator('.votes [data-voter="bob"]', { hasText: "still fine" }).waitFor();
    await alice.locator(".connection[data-state=connected]").waitFor();
    expect(await alice.evaluate(() => (window as unknown as { connectionStates: string[] }).connectionStates)).toContain("reconnecting");

    // Alice may cancel (the policy lets reviewers cancel).
    await alice.locator("#cancel-reason").fill("superseded by the nightly job");
    await alice.locator('button[data-action="cancel"]').click();
    await alice.locator('.room-title [data-plan-status="cancelled"]').waitFor();
    await alice.locator(".event-log .event", { hasText: "superseded by the nightly job" }).waitFor();
    expect(await alice.locator('button[data-action="cancel"]').count()).toBe(0);
  }, 60_000);

  it("lets an admin start an approved plan from the page, and shows a reviewer why it may not", async () => {
    const plan = await agent().submit(
      { description: "Migrate the billing database", steps: [{ id: "backup", tool: "backup_db" }, { id: "migrate", tool: "migrate_db", dependsOn: ["backup"] }] },
      { tools: { backup_db: () => "backed up", migrate_db: () => "migrated" }, autoExecute: false },
    );
    const alice = await rig.open(`/?token=${dashboardTokenOf("alice")}#/plans/${plan.planId}`);
    const root = await rig.open(`/?token=${dashboardTokenOf("root")}#/plans/${plan.planId}`);
    for (const page of [alice, root]) await page.locator('.room-title [data-plan-status="pending_approval"]').waitFor();
    expect(await root.locator('button[data-action="execute"]').count()).toBe(0);

    // Approved in the page; without autoExecute the plan waits to be started.
    await alice.locator('button[data-action="approve"]').click();
    for (const page of [alice, root]) await page.locator('.room-title [data-plan-status="approved"]').waitFor();
    const aliceStart = alice.locator('button[data-action="execute"]');
    await aliceStart.waitFor();
    expect(await aliceStart.isDisabled()).toBe(true);
    expect(await alice.locator("#run-blocked").textContent()).toBe("You cannot start the run: only the submitter and admins may start a run.");

    // The admin starts it from the keyboard, and both pages see it complete.
    const start = root.locator('button[data-action="execute"]');
    expect(await start.isDisabled()).toBe(false);
    expect(await start.textContent()).toBe("Start run");
    await start.focus();
    await root.keyboard.press("Enter");
    for (const page of [alice, root]) {
      await node(page, "migrate", "completed").waitFor();
      await page.locator('.room-title [data-plan-status="completed"]').waitFor();
      await page.locator('.progress-pct[data-progress="100"]').waitFor();
    }
    expect(await root.locator('button[data-action="execute"], button[data-action="resume"]').count()).toBe(0);
    await root.locator(".event-log .event", { hasText: "Execution started" }).waitFor();
  }, 60_000);

  it("warns at Start run that no agent serves the plan's tools, and shows the step waiting for its agent", async () => {
    const submitter = agent();
    const plan = await submitter.submit({ description: "Publish the release notes", steps: [{ id: "publish", tool: "publish_notes" }] }, { tools: { publish_notes: () => "published" }, autoExecute: false });
    submitter.close();
    const root = await rig.open(`/?token=${dashboardTokenOf("root")}#/plans/${plan.planId}`);
    const alice = await rig.open(`/?token=${dashboardTokenOf("alice")}#/plans/${plan.planId}`);
    await alice.locator('button[data-action="approve"]').click();
    await root.locator('button[data-action="execute"]').click();
    const notice = root.locator("#run-notice");
    await notice.waitFor();
    expect(await notice.textContent()).toBe("No connected agent serves publish_notes: the steps that call it will wait for the agent, then fail if it does not connect in time.");
    await root.locator('svg.dag g[data-step-id="publish"][data-waiting="agent"]').waitFor();
    expect(await root.locator('svg.dag g[data-step-id="publish"] .dag-note').textContent()).toBe("Waiting for agent");
    expect(await root.locator('#step-publish .badge').textContent()).toBe("Waiting for agent");
    await root.locator(".event-log .event", { hasText: "Step publish is waiting for its agent" }).waitFor();
    const admin = connect(rig.server.url, { token: dashboardTokenOf("root"), socketOptions: { transports: ["websocket"] } });
    clients.push(admin);
    await admin.command("plan:cancel", { planId: plan.planId });
    await root.locator('.room-title [data-plan-status="cancelled"]').waitFor();
    expect(await root.locator('svg.dag g[data-step-id="publish"][data-waiting]').count()).toBe(0);
    expect(await notice.isHidden()).toBe(true);
  }, 60_000);

  it("refuses an unknown token with a clear message and signs in from the form", async () => {
    const page = await rig.open("/?token=not-a-real-token-at-all");
    await page.locator("#sign-in-error", { hasText: "That token was not accepted." }).waitFor();
    expect(page.url()).not.toContain("token=");
    await page.locator("#token").fill(dashboardTokenOf("bob"));
    await page.keyboard.press("Enter");
    await page.locator(".whoami-name", { hasText: "Bob Chen" }).waitFor();
    await page.locator("#plans-title").waitFor();
  }, 60_000);
});
