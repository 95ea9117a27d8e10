import { existsSync } from "node:fs";
import cors from "cors";
import express, { type NextFunction, type Request, type Response } from "express";
import helmet from "helmet";
import type { PrincipalRegistry } from "../../auth/principals.js";
import type { RoomDirectory } from "../../rooms/room-directory.js";
import type { Logger } from "../../runtime/logger.js";
import { toWireError } from "../wire-error.js";
import { healthRoutes } from "./health-routes.js";
import { HTTP_STATUS } from "./http-status.js";
import { metricsRoutes, type MetricsExposition } from "./metrics-routes.js";
import { planRoutes } from "./plan-routes.js";
import { requestLog } from "./request-log.js";

/** What the HTTP routes need. */
export interface HttpApiDeps {
  directory: RoomDirectory;
  registry: PrincipalRegistry;
  corsOrigins: string[];
  /** The dashboard's built files, served at `/` when the folder exists. */
  webDir?: string | undefined;
  log: Logger;
  /** The server's metrics, served at `GET /metrics` to admins and the `metrics` role; none: no route. */
  metrics?: MetricsExposition | undefined;
}

/**
 * The HTTP side: `GET /healthz`, `GET /api/plans`, `GET /api/plans/:id` (bearer token, same
 * visibility as the sockets), `GET /metrics` (admins and the `metrics` role), a log line per request, helmet headers with a CSP that allows the dashboard and its
 * Socket.IO connection, CORS from the configured origins, and the dashboard's static files.
 */
export function createHttpApi(deps: HttpApiDeps): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(requestLog(deps.log));
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          connectSrc: ["'self'", "ws:", "wss:"],
          imgSrc: ["'self'", "data:"],
        },
      },
    }),
  );
  app.use(cors({ origin: deps.corsOrigins.length > 0 ? deps.corsOrigins : false }));

  app.use(healthRoutes(deps));
  app.use(planRoutes(deps));
  if (deps.metrics) app.use(metricsRoutes({ registry: deps.registry, exposition: deps.metrics }));

  if (deps.webDir && existsSync(deps.webDir)) app.use(express.static(deps.webDir));

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ ok: false, error: { code: "NOT_FOUND", message: "no such route" } });
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const wire = toWireError(error, deps.log, "http");
    res.status(HTTP_STATUS[wire.code]).json({ ok: false, error: wire });
  });
  return app;
}
