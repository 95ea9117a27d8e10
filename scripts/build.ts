/**
 * `npm run build`: compiles `shared/`, `server/` and `client/` into `dist/` (`tsc -p
 * tsconfig.build.json`: JavaScript, `.d.ts` and source maps that carry their sources) and bundles
 * the dashboard into `dist/web/` (`client/web/build.ts`).
 *
 *   tsx scripts/build.ts             build both
 *   tsx scripts/build.ts --if-stale  build only what is missing or older than its sources (`npm start`)
 */
import { spawn } from "node:child_process";
import { readdir, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildDashboard, isStale as isDashboardStale } from "../client/web/build.js";

const rootDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const distDir = join(rootDir, "dist");
/** Written after a successful compile; the compile is stale when a source is newer. */
const COMPILE_STAMP = join(distDir, ".compiled");
/** The compiled folders (the dashboard, `client/web/`, is bundled instead). */
const COMPILED_DIRS = ["shared", "server", "client"];
/** Files whose change calls for a new compile besides the sources. */
const COMPILE_CONFIG = ["tsconfig.json", "tsconfig.build.json", "package.json"];

async function newestSource(path: string): Promise<number> {
  const info = await stat(path);
  if (!info.isDirectory()) return info.mtimeMs;
  if (relative(rootDir, path) === join("client", "web")) return 0;
  let newest = info.mtimeMs;
  for (const entry of await readdir(path)) newest = Math.max(newest, await newestSource(join(path, entry)));
  return newest;
}

/** Whether `dist/` lacks a compile or holds one older than a source or a compiler setting. */
async function isCompileStale(): Promise<boolean> {
  let compiledAt: number;
  try {
    compiledAt = (await stat(COMPILE_STAMP)).mtimeMs;
  } catch {
    return true;
  }
  const sources = [...COMPILED_DIRS, ...COMPILE_CONFIG].map((p) => newestSource(join(rootDir, p)));
  return Math.max(...(await Promise.all(sources))) > compiledAt;
}

/** Compiles afresh: the old output goes first, so a deleted source leaves no module behind. */
async function compile(): Promise<void> {
  await Promise.all(COMPILED_DIRS.map((d) => rm(join(distDir, d), { recursive: true, force: true })));
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const code = await new Promise<number | null>((done, fail) => {
    const child = spawn(process.execPath, [tsc, "-p", join(rootDir, "tsconfig.build.json")], { stdio: "inherit" });
    child.once("error", fail);
    child.once("close", done);
  });
  if (code !== 0) throw new Error(`tsc -p tsconfig.build.json failed (exit ${code})`);
  await writeFile(COMPILE_STAMP, `${new Date().toISOString()}\n`);
}

const ifStale = process.argv.includes("--if-stale");
try {
  let built = false;
  if (!ifStale || (await isCompileStale())) {
    await compile();
    built = true;
    console.log("compiled: dist/shared, dist/server, dist/client");
  }
  if (!ifStale || (await isDashboardStale())) {
    await buildDashboard();
    built = true;
    console.log("dashboard built: dist/web");
  }
  if (!built) console.log("dist/ is up to date");
} catch (error) {
  console.error(`build failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
