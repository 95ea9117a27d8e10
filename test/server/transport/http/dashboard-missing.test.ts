import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { defaultWebDir } from "../../../../server/app/web-dir.js";
import type { Logger } from "../../../../server/runtime/logger.js";
import { useRealServers } from "../../../support/real-server.js";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

describe("the dashboard's files", () => {
  const servers = useRealServers();
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it("when they are missing, GET / is a page saying to run `npm run build`, and start-up warns", async () => {
    const webDir = await mkdtemp(join(tmpdir(), "planroom-noweb-"));
    dirs.push(webDir);
    const warnings: string[] = [];
    const log: Logger = { info() {}, error() {}, warn: (m) => warnings.push(m) };
    const server = await servers.server({ webDir, log });
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(404);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain("dashboard is not built");
    expect(html).toContain("npm run build");
    expect(warnings).toEqual([expect.stringMatching(/^dashboard not built: .*npm run build/)]);
    // The API keeps its JSON 404.
    expect((await (await fetch(`${server.url}/nothing`)).json()) as unknown).toMatchObject({ error: { code: "NOT_FOUND" } });
  });

  it("when they are there, GET / serves index.html and nothing is logged", async () => {
    const webDir = await mkdtemp(join(tmpdir(), "planroom-web-"));
    dirs.push(webDir);
    await writeFile(join(webDir, "index.html"), "<!doctype html><title>built</title>");
    const warnings: string[] = [];
    const server = await servers.server({ webDir, log: { info() {}, error() {}, warn: (m) => warnings.push(m) } });
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<title>built</title>");
    expect(warnings).toEqual([]);
  });

  it("are found from the server's own location: dist/web of the checkout from sources, the package's dist/web from the build", () => {
    expect(defaultWebDir(pathToFileURL(join(ROOT, "server/app/web-dir.ts")).href)).toBe(join(ROOT, "dist/web/"));
    expect(defaultWebDir("file:///opt/app/node_modules/planroom/dist/server/app/web-dir.js")).toBe("/opt/app/node_modules/planroom/dist/web/");
    expect(defaultWebDir()).toBe(join(ROOT, "dist/web/"));
  });
});
