import { PlanroomError } from "../../shared/index.js";

/** File names of TypeScript modules. */
const TYPESCRIPT_FILE = /\.[cm]?ts$/;

/** Whether a module path names a TypeScript file (`.ts`, `.mts`, `.cts`). */
export function isTypeScriptFile(path: string): boolean {
  return TYPESCRIPT_FILE.test(path);
}

/** How {@link ensureTypeScriptLoader} learns about its process (tests pass their own). */
export interface TypeScriptLoaderEnvironment {
  /** Whether the process already imports TypeScript: it runs Planroom's sources (tsx, vitest) or Node strips types itself. */
  importsTypeScript: boolean;
  /** Imports tsx's loader API; rejects when tsx is not installed. */
  importTsx(): Promise<{ register(): unknown }>;
}

const processEnvironment: TypeScriptLoaderEnvironment = {
  importsTypeScript: isTypeScriptFile(new URL(import.meta.url).pathname) || Boolean((process.features as { typescript?: unknown }).typescript),
  importTsx: () => import("tsx/esm/api"),
};

/** The registration of tsx per environment, so that it happens once. */
const registrations = new WeakMap<TypeScriptLoaderEnvironment, Promise<unknown>>();

/**
 * Makes sure the process can import the TypeScript module `where` names. The built server runs on
 * plain Node, so the first TypeScript tool module registers tsx's loader (`tsx/esm/api`) when tsx
 * is installed (a checkout has it; an installed package finds it in the project's `node_modules`).
 * @throws PlanroomError `VALIDATION` when tsx cannot be loaded: the message says to install tsx
 *   or to compile the module to `.js`.
 */
export async function ensureTypeScriptLoader(where: string, environment: TypeScriptLoaderEnvironment = processEnvironment): Promise<void> {
  if (environment.importsTypeScript) return;
  let registration = registrations.get(environment);
  if (registration === undefined) {
    registration = environment.importTsx().then((api) => api.register());
    registrations.set(environment, registration);
  }
  try {
    await registration;
  } catch (error) {
    registrations.delete(environment);
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new PlanroomError("VALIDATION", `${where} is TypeScript, which plain node cannot import: install tsx (npm install tsx) or compile it to .js (loading tsx failed: ${reason})`);
  }
}
