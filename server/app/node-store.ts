import type { ServerMetrics } from "../runtime/server-metrics.js";
import type { Logger } from "../runtime/logger.js";
import { createFileStore } from "../store/file/file-store.js";
import { createPostgresStore } from "../store/postgres/postgres-store.js";
import type { Store } from "../store/store.js";
import { checkStoreUrl, maskStoreUrl } from "./store-url.js";

/** What {@link nodeStore} chooses from. */
interface NodeStoreChoice {
  /** A store given by code, or the `postgres://` URL of the database to run on (checked: anything else is a `VALIDATION` error). */
  given: Store | string | undefined;
  /** The embedded store's directory, used when nothing is given. */
  dataDir: string;
  log: Logger;
  metrics: ServerMetrics;
}

/**
 * The store a node runs on, not yet opened: the one given, the PostgreSQL store of a URL (whose
 * pool's connection errors are logged as warnings, never thrown: readiness reports the lost
 * connection meanwhile), or by default the embedded file store in `dataDir`.
 */
export function nodeStore(choice: NodeStoreChoice): Store {
  const { given, log, metrics } = choice;
  if (typeof given === "string") {
    const connectionString = checkStoreUrl(given);
    return createPostgresStore({
      connectionString,
      onError: (error) => log.warn(`store: a connection to PostgreSQL at ${maskStoreUrl(connectionString)} failed: ${error.message}`),
    });
  }
  return (
    given ??
    createFileStore({
      dir: choice.dataDir,
      onCommit: (c) => metrics.storeCommit(c.commitMs, c.fsyncMs),
      onIndexRebuilt: (why, plans) => log.warn(`store: ${why}; rebuilt the plan index of ${plans} plans from their logs`),
    })
  );
}
