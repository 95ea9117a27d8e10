import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { hasChromium, OUTPUT_DIR, startRig, type DashboardRig } from "../support/dashboard-rig.js";
import { makeTestCertificate, type TestCertificate } from "../support/test-certificate.js";
import { dashboardTokenOf } from "../support/test-principals.js";

/** Not localhost: Chromium honours `upgrade-insecure-requests` here. */
const HOST = "planroom.test";

let certificate: TestCertificate;
let rig: DashboardRig | undefined;
beforeAll(async () => {
  certificate = await makeTestCertificate();
});
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** Opens the dashboard at `path`, recording the URLs of the page's own requests and the main response's headers. */
async function openRecording(started: DashboardRig, path: string): Promise<{ page: Page; requested: string[]; sockets: string[]; headers: Record<string, string>; consoleErrors: string[] }> {
  const requested: string[] = [];
  const consoleErrors: string[] = [];
  const sockets: string[] = [];
  const context = await started.browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on("request", (r) => requested.push(r.url()));
  page.on("websocket", (ws) => sockets.push(ws.url()));
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  const response = await page.goto(`${started.url}${path}`);
  return { page, requested, sockets, headers: response?.headers() ?? {}, consoleErrors };
}

describe.runIf(hasChromium)("the dashboard on a host name other than localhost", () => {
  it("loads over plain HTTP: its scripts stay on http://, it signs in and lists the plans, and no TLS-only header is sent", async () => {
    const started = (rig = await startRig({}, { hostName: HOST }));
    expect(started.url).toMatch(/^http:\/\/planroom\.test:\d+$/);
    const { page, requested, sockets, headers, consoleErrors } = await openRecording(started, `/?token=${dashboardTokenOf("alice")}`);
    await page.locator("h1#plans-title").waitFor();
    expect(sockets.some((u) => u.startsWith("ws://planroom.test:"))).toBe(true);
    // Nothing for the browser to complain about: no header it must ignore on an untrustworthy origin (COOP), no missing icon.
    expect(consoleErrors).toEqual([]);
    expect(headers["cross-origin-opener-policy"]).toBeUndefined();
    await page.screenshot({ path: join(OUTPUT_DIR, "dashboard-http-host.png") });
    expect(requested.filter((u) => u.startsWith("https:"))).toEqual([]);
    expect(requested.some((u) => u.startsWith(`${started.url}/`) && u.endsWith(".js"))).toBe(true);
    expect(headers["strict-transport-security"]).toBeUndefined();
    expect(headers["content-security-policy"]).not.toContain("upgrade-insecure-requests");
    expect(headers["content-security-policy"]).toContain("connect-src 'self' ws: wss:");
    await page.context().close();
  });

  it("shows the sign-in form over plain HTTP without a token", async () => {
    rig = await startRig({}, { hostName: HOST });
    const { page } = await openRecording(rig, "/");
    await page.locator(".sign-in-page").waitFor();
    expect(await page.locator(".loading").count()).toBe(0);
    await page.context().close();
  });

  it("loads over HTTPS served directly, with HSTS and upgrade-insecure-requests, its socket over wss", async () => {
    rig = await startRig({ tls: { certFile: certificate.certFile, keyFile: certificate.keyFile } }, { hostName: HOST });
    expect(rig.url).toMatch(/^https:\/\/planroom\.test:\d+$/);
    const { page, requested, sockets, headers } = await openRecording(rig, `/?token=${dashboardTokenOf("alice")}`);
    await page.locator("h1#plans-title").waitFor();
    expect(sockets.some((u) => u.startsWith("wss://planroom.test:"))).toBe(true);
    expect(requested.filter((u) => u.startsWith("http:"))).toEqual([]);
    expect(headers["strict-transport-security"]).toMatch(/max-age=\d+/);
    expect(headers["cross-origin-opener-policy"]).toBe("same-origin");
    expect(headers["content-security-policy"]).toContain("upgrade-insecure-requests");
    expect(headers["content-security-policy"]).toContain("script-src 'self'");
    await page.context().close();
  });
});
