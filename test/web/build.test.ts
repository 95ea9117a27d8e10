import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDashboard, isStale } from "../../client/web/build.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "planroom-build-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("buildDashboard", () => {
  it("writes the page, the styles and one bundled script that loads in a browser", async () => {
    const out = join(dir, "web");
    const written = await buildDashboard({ outDir: out });
    expect(written.map((f) => f.slice(out.length + 1)).sort()).toEqual(["app.js", "app.js.map", "index.html", "styles.css"]);
    const html = await readFile(join(out, "index.html"), "utf8");
    expect(html).toContain('src="./app.js"');
    const script = await readFile(join(out, "app.js"), "utf8");
    expect(script).not.toMatch(/^import /m);
    expect(script.length).toBeLessThan(450_000);
  });
});

describe("isStale", () => {
  it("is stale when an output is missing or older than a source, fresh otherwise", async () => {
    const out = join(dir, "stale-check");
    const sources = join(dir, "sources");
    await mkdir(out, { recursive: true });
    await mkdir(sources, { recursive: true });
    await writeFile(join(sources, "a.ts"), "export {};");
    expect(await isStale(out, [sources])).toBe(true);
    for (const name of ["index.html", "styles.css", "app.js"]) await writeFile(join(out, name), "");
    const past = new Date(Date.now() - 60_000);
    await utimes(join(sources, "a.ts"), past, past);
    expect(await isStale(out, [sources])).toBe(false);
    const future = new Date(Date.now() + 60_000);
    await utimes(join(sources, "a.ts"), future, future);
    expect(await isStale(out, [sources])).toBe(true);
  });
});
