import { Router } from "express";

/** Whether the server should be sent traffic: ready, or why not (shutting down, the store refuses writes). */
export type Readiness = { ok: true } | { ok: false; reason: string };

/** What the health routes read. */
export interface HealthRoutesDeps {
  /** This node's id, named in `GET /healthz` (several nodes on one database tell themselves apart by it). */
  nodeId: string;
  /** How many plans are stored (every status, from the store's plan index). */
  countPlans: () => Promise<number>;
  /** The server's readiness now (see {@link Readiness}). */
  readiness: () => Readiness;
}

/**
 * `GET /healthz`, liveness: the process answers, with its node id and how many plans it has stored
 * (in memory or not; left out when the store cannot say). `GET /readyz`,
 * readiness: 200 `{ ok: true }`, or 503 `{ ok: false, reason }` while the server shuts down or its
 * store refuses writes, for a load balancer to stop sending it traffic. No token needed.
 */
export function healthRoutes(deps: HealthRoutesDeps): Router {
  const router = Router();
  router.get("/healthz", async (_req, res) => {
    let plans: number | undefined;
    try {
      plans = await deps.countPlans();
    } catch {
      // Liveness does not hang on the store: the count is left out when the store cannot give it.
    }
    res.json({ ok: true, node: deps.nodeId, ...(plans !== undefined ? { plans } : {}) });
  });
  router.get("/readyz", (_req, res) => {
    const readiness = deps.readiness();
    res.status(readiness.ok ? 200 : 503).json(readiness);
  });
  return router;
}
