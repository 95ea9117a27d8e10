/**
 * What the dashboard's browser tests share: a freshly built dashboard, a real server on port 0
 * with a temporary data directory and the dashboard principals, and Debian's Chromium driven by
 * playwright-core (`step-gates.ts` lets a test release an agent's tool calls one at a time).
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";
import { requirementMet } from "./environment-requirement.js";
import { buildDashboard } from "../../client/web/build.js";
import { createPlanroomServer, type PlanroomServer, type PlanroomServerOptions } from "../../server/app/create-server.js";
import { silentLogger } from "../../server/runtime/logger.js";
import { DASHBOARD_PRINCIPALS } from "./test-principals.js";

/** Debian's Chromium, which the browser tests drive. */
const CHROMIUM_PATH = "/usr/bin/chromium";

/** Whether the browser tests can run here (see `environment-requirement.ts`). */
export const hasChromium: boolean = requirementMet("dashboard browser tests", existsSync(CHROMIUM_PATH), `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`);

/** Where screenshots go. */
export const OUTPUT_DIR = resolve("test-output");

/** Chromium flags for headless runs in containers and CI. */
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** How the browser reaches the rig's server. */
export interface RigBrowserOptions {
  /**
   * A host name the browser opens the server by instead of 127.0.0.1, mapped to it by Chromium's
   * `--host-resolver-rules` (a name that is not localhost, where browsers are strict about HTTPS).
   */
  hostName?: string;
}

/** A server serving a fresh build of the dashboard, and a browser. */
export interface DashboardRig {
  server: PlanroomServer;
  /** The server's URL as the browser opens it (with {@link RigBrowserOptions.hostName}, by that name). */
  url: string;
  browser: Browser;
  /** Opens a new browser context and page at `path` (relative to the server URL). */
  open(path: string): Promise<Page>;
  close(): Promise<void>;
}

/** Builds the dashboard into a temporary folder, starts a server that serves it (with `serverOptions` on top of the rig's), launches Chromium. */
export async function startRig(serverOptions: Pick<PlanroomServerOptions, "approvalRules" | "tls" | "trustProxy"> = {}, browserOptions: RigBrowserOptions = {}): Promise<DashboardRig> {
  const work = await mkdtemp(join(tmpdir(), "planroom-web-"));
  const webDir = join(work, "web");
  await buildDashboard({ outDir: webDir });
  const server = await createPlanroomServer({ host: "127.0.0.1", port: 0, dataDir: join(work, "data"), principals: DASHBOARD_PRINCIPALS, webDir, log: silentLogger, ...serverOptions });
  let browser: Browser;
  try {
    const resolver = browserOptions.hostName === undefined ? [] : [`--host-resolver-rules=MAP ${browserOptions.hostName} 127.0.0.1`];
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...resolver] });
  } catch (error) {
    await server.close();
    throw error;
  }
  await mkdir(OUTPUT_DIR, { recursive: true });
  const url = browserOptions.hostName === undefined ? server.url : server.url.replace("//127.0.0.1:", `//${browserOptions.hostName}:`);
  return {
    server,
    url,
    browser,
    async open(path) {
      // A server with `tls` serves the tests' self-signed certificate.
      const context = await browser.newContext({ viewport: { width: 1360, height: 1020 }, ignoreHTTPSErrors: serverOptions.tls !== undefined });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      await page.goto(`${url}${path}`);
      return page;
    },
    async close() {
      await browser.close().catch(() => undefined);
      await server.close();
      await rm(work, { recursive: true, force: true });
    },
  };
}
