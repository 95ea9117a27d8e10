import { existsSync } from "node:fs";
import { join } from "node:path";
import cors from "cors";
import express, { type NextFunction, type Request, type Response } from "express";
import helmet from "helmet";
import type { Role } from "../../../shared/index.js";
import type { PrincipalRegistry } from "../../auth/principals.js";
import type { RoomDirectory } from "../../rooms/room-directory.js";
import type { Logger } from "../../runtime/logger.js";
import { toWireError } from "../wire-error.js";
import { dashboardMissingPage, dashboardMissingWarning } from "./dashboard-missing.js";
import { healthRoutes, type Readiness } from "./health-routes.js";
import { HTTP_STATUS } from "./http-status.js";
import type { HttpRateLimit } from "./bearer-auth.js";
import { metricsRoutes, type MetricsExposition } from "./metrics-routes.js";
import { planRoutes } from "./plan-routes.js";
import { requestLog } from "./request-log.js";

/** What the HTTP routes need. */
export interface HttpApiDeps {
  /** This node's id, for `GET /healthz`. */
  nodeId: string;
  directory: RoomDirectory;
  registry: PrincipalRegistry;
  /** The roles whose principals may vote (`approvalRules.voterRoles`): what `mayVote` in a list query goes by. */
  voterRoles: readonly Role[];
  /** How many plans are stored (every status), for `GET /healthz`. */
  countPlans: () => Promise<number>;
  corsOrigins: string[];
  /** The dashboard's built files, served at `/` when they exist (else `GET /` says the dashboard is not built). */
  webDir?: string | undefined;
  log: Logger;
  /** The server's readiness, answered at `GET /readyz`. */
  readiness: () => Readiness;
  /**
   * Addresses and CIDRs of the reverse proxies whose `X-Forwarded-Proto` / `X-Forwarded-For` are
   * believed (Express's `trust proxy`); empty: none.
   */
  trustProxy: string[];
  /** The server's metrics, served at `GET /metrics` to admins and the `metrics` role; none: no route. */
  metrics?: MetricsExposition | undefined;
  /**
   * The rate limit of the plan routes (`/api/plans…`): per principal, or per address without a
   * valid token. Health, readiness, metrics and the dashboard's files are never limited.
   */
  rateLimit?: HttpRateLimit | undefined;
}

/** The CSP's directives; `upgrade-insecure-requests` is added only over TLS. */
const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  connectSrc: ["'self'", "ws:", "wss:"],
  imgSrc: ["'self'", "data:"],
};

/**
 * The HTTP side: `GET /healthz`, `GET /readyz`, `GET /api/plans`, `GET /api/plans/:id` (bearer token, same
 * visibility as the sockets, rate-limited: `429` with `Retry-After`), `GET /metrics` (admins and the `metrics` role), a log line per request, helmet headers with a CSP that allows the dashboard and its
 * Socket.IO connection (HSTS, `upgrade-insecure-requests` and COOP only over TLS), CORS from the configured origins, and the dashboard's static files.
 */
export function createHttpApi(deps: HttpApiDeps): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", deps.trustProxy);
  // Over plain HTTP, `upgrade-insecure-requests` would make the browser fetch the dashboard's own
  // scripts over https:// (which is not there) and HSTS would be meaningless: both only over TLS,
  // direct or reported by a trusted proxy (`req.secure`). So is `Cross-Origin-Opener-Policy`, which
  // browsers ignore (with a console error) on an http:// origin other than localhost.
  const overTls = helmet({ contentSecurityPolicy: { directives: { ...CSP_DIRECTIVES, upgradeInsecureRequests: [] } } });
  const overHttp = helmet({ contentSecurityPolicy: { directives: { ...CSP_DIRECTIVES, upgradeInsecureRequests: null } }, strictTransportSecurity: false, crossOriginOpenerPolicy: false });
  app.use(requestLog(deps.log));
  app.use((req, res, next) => {
    (req.secure ? overTls : overHttp)(req, res, next);
  });
  app.use(cors({ origin: deps.corsOrigins.length > 0 ? deps.corsOrigins : false }));

  app.use(healthRoutes(deps));
  app.use(planRoutes(deps));
  if (deps.metrics) app.use(metricsRoutes({ registry: deps.registry, exposition: deps.metrics }));

  if (deps.webDir !== undefined && existsSync(join(deps.webDir, "index.html"))) app.use(express.static(deps.webDir));
  else {
    deps.log.warn(dashboardMissingWarning(deps.webDir));
    app.get("/", dashboardMissingPage(deps.webDir));
  }

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ ok: false, error: { code: "NOT_FOUND", message: "no such route" } });
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const wire = toWireError(error, deps.log, "http");
    res.status(HTTP_STATUS[wire.code]).json({ ok: false, error: wire });
  });
  return app;
}
