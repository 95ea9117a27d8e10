import { Router, type Request, type Response } from "express";
import { PlanroomError } from "../../../shared/index.js";
import type { PrincipalRegistry } from "../../auth/principals.js";
import { bearerAuth, requestPrincipal } from "./bearer-auth.js";

/** The metrics in the Prometheus text format, as a registry renders them. */
export interface MetricsExposition {
  contentType: string;
  text(): Promise<string>;
}

/** The roles that may read `/metrics` on the main port. */
const METRICS_ROLES: readonly string[] = ["admin", "metrics"];

/** Answers a scrape with the exposition. */
function serveMetrics(exposition: MetricsExposition) {
  return async (_req: Request, res: Response): Promise<void> => {
    const text = await exposition.text();
    res.status(200).set("content-type", exposition.contentType).send(text);
  };
}

/**
 * `GET /metrics` on the main port: a bearer token of a principal with the `admin` or `metrics`
 * role (`401 UNAUTHENTICATED` without a valid token, `403 FORBIDDEN` for other principals).
 */
export function metricsRoutes(deps: { registry: PrincipalRegistry; exposition: MetricsExposition }): Router {
  const router = Router();
  router.get("/metrics", bearerAuth(deps.registry), (_req, res, next) => {
    const principal = requestPrincipal(res);
    if (!principal.roles.some((role) => METRICS_ROLES.includes(role))) return next(new PlanroomError("FORBIDDEN", "metrics need a principal with the admin or metrics role"));
    next();
  }, serveMetrics(deps.exposition));
  return router;
}
