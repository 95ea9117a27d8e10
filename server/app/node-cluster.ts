import { randomBytes } from "node:crypto";
import { createLocalCluster } from "../cluster/local-cluster.js";
import { createPostgresCluster } from "../cluster/postgres/postgres-cluster.js";
import type { Cluster } from "../cluster/cluster.js";
import type { Logger } from "../runtime/logger.js";
import type { Store } from "../store/store.js";
import { checkStoreUrl } from "./store-url.js";

/** The document under which nodes that were given no cluster secret share a generated one. */
const CLUSTER_SECRET_KEY = "cluster-secret";

/** What {@link nodeCluster} chooses from. */
interface NodeClusterChoice {
  /** The `store` option: a PostgreSQL URL makes this node one of a cluster on that database. */
  given: Store | string | undefined;
  /** The opened store. */
  store: Store;
  nodeId: string;
  /** `PLANROOM_CLUSTER_SECRET`, if set. */
  secret: string | undefined;
  log: Logger;
}

/**
 * The cluster this node belongs to: on a PostgreSQL store, the nodes sharing the database (hints
 * over LISTEN/NOTIFY, signed with the cluster secret); otherwise a cluster of one.
 *
 * The secret is `PLANROOM_CLUSTER_SECRET` when set (every node must have the same). Without it the
 * nodes share one generated on first start and kept in the database: hints are then as safe as
 * the database's tables, which suffices when only Planroom's role can connect. Set the variable
 * when other roles may connect (any of them may NOTIFY).
 */
export async function nodeCluster(choice: NodeClusterChoice): Promise<Cluster> {
  const { given, store, nodeId, log } = choice;
  if (typeof given !== "string") return createLocalCluster(nodeId);
  const secret = choice.secret ?? (await store.ensureDocument(CLUSTER_SECRET_KEY, randomBytes(32).toString("hex")));
  return createPostgresCluster({ connectionString: checkStoreUrl(given), nodeId, secret, onWarning: (message, error) => log.warn(`cluster: ${message}${error === undefined ? "" : `: ${error instanceof Error ? error.message : JSON.stringify(error)}`}`) });
}
