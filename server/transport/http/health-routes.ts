import { Router } from "express";
import type { RoomDirectory } from "../../rooms/room-directory.js";

/** Whether the server should be sent traffic: ready, or why not (shutting down, the store refuses writes). */
export type Readiness = { ok: true } | { ok: false; reason: string };

/** What the health routes read. */
export interface HealthRoutesDeps {
  directory: RoomDirectory;
  /** The server's readiness now (see {@link Readiness}). */
  readiness: () => Readiness;
}

/**
 * `GET /healthz`, liveness: the process answers, with how many plans it holds. `GET /readyz`,
 * readiness: 200 `{ ok: true }`, or 503 `{ ok: false, reason }` while the server shuts down or its
 * store refuses writes, for a load balancer to stop sending it traffic. No token needed.
 */
export function healthRoutes(deps: HealthRoutesDeps): Router {
  const router = Router();
  router.get("/healthz", (_req, res) => {
    res.json({ ok: true, plans: deps.directory.size });
  });
  router.get("/readyz", (_req, res) => {
    const readiness = deps.readiness();
    res.status(readiness.ok ? 200 : 503).json(readiness);
  });
  return router;
}
