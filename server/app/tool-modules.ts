/**
 * Server-side tools from configuration: the `toolModules` key (`--tools`, `PLANROOM_TOOLS`) names ES
 * modules that each export tool handlers, and {@link loadToolModules} imports and checks them before
 * the server starts.
 *
 * @example A tool module (`my-tools.ts`, or `.js` / `.mjs`):
 * ```ts
 * import type { ToolModule } from "planroom";
 *
 * export default {
 *   echo: (params) => params,
 *   now: () => ({ iso: new Date().toISOString() }),
 * } satisfies ToolModule;
 * ```
 */
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { PlanroomError } from "../../shared/index.js";
import type { ToolHandler, ToolRegistry } from "../executor/tool-registry.js";
import { ensureTypeScriptLoader, isTypeScriptFile } from "./typescript-loader.js";

/** What a tool module exports (as its default export, or as `tools`): tool names mapped to handlers. */
export type ToolModule = Record<string, ToolHandler>;

/** The longest tool name a step may use (as in the step schema). */
const MAX_TOOL_NAME = 128;

/** Where a tool comes from, for messages. */
const OPTION_SOURCE = "the tools option";

function fail(message: string): never {
  throw new PlanroomError("VALIDATION", message);
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "function") return "a function";
  if (typeof value === "object") return `an object (${value.constructor?.name ?? "no prototype"})`;
  return `a ${typeof value}`;
}

/**
 * The tool map a module exports: its default export, or else its named export `tools`. A `.ts`
 * module compiled as CommonJS (no `"type": "module"` around it) arrives wrapped as
 * `{ default: { __esModule, default, tools } }`; that wrapper is opened first.
 */
function exportedTools(namespace: Record<string, unknown>): unknown {
  let ns = namespace;
  const wrapped = ns.default;
  if (typeof wrapped === "object" && wrapped !== null && (wrapped as { __esModule?: unknown }).__esModule === true) ns = wrapped as Record<string, unknown>;
  return ns.default !== undefined ? ns.default : ns.tools;
}

function checkToolName(name: string, where: string): void {
  if (name.trim() === "") fail(`${where}: a tool name is empty`);
  if (name !== name.trim()) fail(`${where}: tool "${name}" has leading or trailing spaces (a step could never name it)`);
  if (name.length > MAX_TOOL_NAME) fail(`${where}: tool "${name.slice(0, 40)}…" has a name longer than ${MAX_TOOL_NAME} characters`);
}

/**
 * Checks that `value` is an object (or a `Map`) of tool handlers and returns its entries.
 * @param where - How the source is named in error messages (e.g. `tool module /srv/tools.ts`).
 * @throws PlanroomError `VALIDATION` naming the source and the offending tool.
 */
export function toolEntries(value: unknown, where: string): Array<[string, ToolHandler]> {
  let entries: Array<[unknown, unknown]>;
  if (value instanceof Map) entries = [...value.entries()];
  else if (typeof value === "object" && value !== null && !Array.isArray(value)) entries = Object.entries(value);
  else fail(`${where}: expected an object mapping tool names to functions, got ${kindOf(value)}`);
  return entries.map(([name, handler]) => {
    if (typeof name !== "string") fail(`${where}: tool names must be strings, got ${kindOf(name)}`);
    checkToolName(name, where);
    if (typeof handler !== "function") fail(`${where}: tool "${name}" is not a function (got ${kindOf(handler)})`);
    return [name, handler as ToolHandler];
  });
}

/**
 * Imports one tool module and returns its tools. The file must exist; `.js` / `.mjs` load anywhere,
 * `.ts` modules through tsx, which the built server registers for them when it is installed
 * (`typescript-loader.ts`).
 * @param path - The module's path; a relative one is resolved against `cwd`.
 * @throws PlanroomError `VALIDATION` when the file is missing, is TypeScript with no tsx to load it, fails to import, or does not export
 *   an object of functions; the message names the module (and the tool, when one is at fault).
 */
export async function loadToolModule(path: string, cwd: string = process.cwd()): Promise<Array<[string, ToolHandler]>> {
  const file = resolve(cwd, path);
  const where = `tool module ${file}`;
  try {
    if (!(await stat(file)).isFile()) fail(`${where} is not a file`);
  } catch (error) {
    if (error instanceof PlanroomError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    fail(code === "ENOENT" ? `${where} does not exist` : `cannot read ${where}: ${(error as Error).message}`);
  }
  if (isTypeScriptFile(file)) await ensureTypeScriptLoader(where);
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    fail(`cannot import ${where}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const tools = exportedTools(namespace);
  if (tools === undefined) fail(`${where} has neither a default export nor an export named "tools" (expected an object mapping tool names to functions)`);
  if (typeof tools !== "object" || tools === null || Array.isArray(tools)) fail(`${where}: its export must be an object mapping tool names to functions, got ${kindOf(tools)}`);
  return toolEntries(tools, where);
}

/**
 * Builds the server's tool registry: the tools passed in code (`given`, the `tools` option of
 * `createPlanroomServer`) plus every tool of every module, in order. A module listed twice (same
 * resolved path) is loaded once.
 * @param paths - Tool module paths (the `toolModules` configuration key); relative ones are resolved against `cwd`.
 * @throws PlanroomError `VALIDATION` for any module {@link loadToolModule} refuses, and when two
 *   sources (two modules, or a module and `given`) define the same tool name; the message names both.
 */
export async function loadToolModules(paths: readonly string[], given: ToolRegistry = {}, cwd: string = process.cwd()): Promise<Map<string, ToolHandler>> {
  const tools = new Map<string, ToolHandler>();
  const origin = new Map<string, string>();
  for (const [name, handler] of toolEntries(given, OPTION_SOURCE)) {
    tools.set(name, handler);
    origin.set(name, OPTION_SOURCE);
  }
  const files = [...new Set(paths.map((p) => resolve(cwd, p)))];
  for (const file of files) {
    const source = `tool module ${file}`;
    for (const [name, handler] of await loadToolModule(file)) {
      const other = origin.get(name);
      if (other !== undefined) fail(`tool "${name}" is defined twice: by ${other} and by ${source}`);
      tools.set(name, handler);
      origin.set(name, source);
    }
  }
  return tools;
}
