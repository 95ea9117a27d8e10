/**
 * Builds the dashboard into `dist/web/`: `client/web/main.ts` bundled by esbuild (with the SDK,
 * the shared model and socket.io-client) into `app.js`, next to `index.html` and `styles.css`.
 *
 *   tsx client/web/build.ts             build now
 *   tsx client/web/build.ts --if-stale  build only when dist/web is missing or older than its sources
 */
import { build, type Plugin } from "esbuild";
import { mkdir, readdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const webDir = dirname(fileURLToPath(import.meta.url));
const rootDir = resolve(webDir, "../..");

/** Where the dashboard is built by default (the server serves this folder at `/`). */
export const DEFAULT_OUT_DIR = join(rootDir, "dist/web");

/** Files copied as they are. */
const STATIC_FILES = ["index.html", "styles.css"];
/** Every output file; the build is stale when one is missing. */
const OUTPUT_FILES = [...STATIC_FILES, "app.js"];
/** Folders whose files go into the bundle. */
const SOURCE_DIRS = [join(rootDir, "client"), join(rootDir, "shared")];

async function newestIn(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, await newestIn(path));
    else if (entry.isFile()) newest = Math.max(newest, (await stat(path)).mtimeMs);
  }
  return newest;
}

/** Whether the built dashboard in `outDir` is missing or older than any file under `sourceDirs`. */
export async function isStale(outDir = DEFAULT_OUT_DIR, sourceDirs: readonly string[] = SOURCE_DIRS): Promise<boolean> {
  let oldestOutput = Infinity;
  for (const file of OUTPUT_FILES) {
    try {
      oldestOutput = Math.min(oldestOutput, (await stat(join(outDir, file))).mtimeMs);
    } catch {
      return true;
    }
  }
  const newestSource = Math.max(0, ...(await Promise.all(sourceDirs.map(newestIn))));
  return newestSource > oldestOutput;
}

/**
 * zod bundles the error messages of some forty languages behind `z.locales`; the dashboard only
 * shows English ones (zod's default), so the bundle keeps `en` alone: about 350 kB less.
 */
const englishOnlyZodLocales: Plugin = {
  name: "english-only-zod-locales",
  setup(context) {
    context.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({ contents: 'export { default as en } from "./en.js";', loader: "js", resolveDir: dirname(args.path) }));
  },
};

/** Writes a file by renaming a finished temporary file over it, so a reader never sees half of it. */
async function writeAtomically(path: string, contents: string | Uint8Array): Promise<void> {
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, contents);
  await rename(temporary, path);
}

/** Options of {@link buildDashboard}. */
export interface BuildDashboardOptions {
  outDir?: string;
  /** Minify the bundle (default true). */
  minify?: boolean;
}

/** Bundles the dashboard into `outDir` and returns the paths written. */
export async function buildDashboard(options: BuildDashboardOptions = {}): Promise<string[]> {
  const outDir = options.outDir ?? DEFAULT_OUT_DIR;
  await mkdir(outDir, { recursive: true });
  const result = await build({
    entryPoints: [join(webDir, "main.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: ["es2022"],
    minify: options.minify ?? true,
    sourcemap: "linked",
    legalComments: "none",
    outfile: join(outDir, "app.js"),
    write: false,
    logLevel: "silent",
    plugins: [englishOnlyZodLocales],
  });
  const written: string[] = [];
  for (const file of result.outputFiles) {
    await writeAtomically(file.path, file.contents);
    written.push(file.path);
  }
  for (const name of STATIC_FILES) {
    const target = join(outDir, name);
    await writeAtomically(target, await readFile(join(webDir, name)));
    written.push(target);
  }
  return written;
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const ifStale = process.argv.includes("--if-stale");
  if (ifStale && !(await isStale())) {
    console.log("dashboard is up to date (dist/web)");
  } else {
    const files = await buildDashboard();
    console.log(`dashboard built: ${files.map((f) => relative(rootDir, f)).join(", ")}`);
  }
}
