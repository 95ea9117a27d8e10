import { fileURLToPath } from "node:url";
import { isTypeScriptFile } from "./typescript-loader.js";

/**
 * Where the built dashboard is, found from this module's own location rather than the working
 * directory, so an installed package serves it wherever it is started: `dist/server/app/` → `dist/web/`
 * when running the build, `server/app/` → `dist/web/` when running the sources (through tsx).
 */
export function defaultWebDir(moduleUrl: string = import.meta.url): string {
  const fromSources = isTypeScriptFile(new URL(moduleUrl).pathname);
  return fileURLToPath(new URL(fromSources ? "../../dist/web/" : "../../web/", moduleUrl));
}
