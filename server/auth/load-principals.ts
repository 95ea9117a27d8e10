import type { Store } from "../store/store.js";
import type { PrincipalConfig } from "./principal-config.js";
import { createDevPrincipals, DEV_PRINCIPALS_KEY } from "./principals.js";

/**
 * The principals a server authenticates: the configured ones, or, when none are configured, a
 * development set generated once and kept in the store (so its tokens survive restarts, and every
 * server sharing the store serves the same set).
 * `generated` is that set when it is in use (the server prints its tokens), else empty.
 */
export async function loadPrincipals(store: Store, configured: PrincipalConfig[]): Promise<{ principals: PrincipalConfig[]; generated: PrincipalConfig[] }> {
  if (configured.length > 0) return { principals: configured, generated: [] };
  // Created if absent: servers starting together on one database all serve the set the first one stored.
  let dev = await store.ensureDocument<PrincipalConfig[]>(DEV_PRINCIPALS_KEY, createDevPrincipals());
  if (dev.length === 0) {
    dev = createDevPrincipals();
    await store.setDocument(DEV_PRINCIPALS_KEY, dev);
  }
  return { principals: dev, generated: dev };
}
