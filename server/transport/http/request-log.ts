import type { NextFunction, Request, Response } from "express";
import type { Principal } from "../../../shared/index.js";
import type { Logger } from "../../runtime/logger.js";

/**
 * Express middleware: one line per HTTP request once it is answered (`http GET /api/plans 200`,
 * with `audit: "http"`, `method`, `path`, `status`, `durationMs` and the `principal` when a token
 * named one), for the API (`/api/…`) and for every request refused or failed (status 400 and up):
 * probes of `/healthz` and `/readyz`, scrapes of `/metrics` and the dashboard's files are not worth
 * a line each when they succeed. The path is logged without its query, so a dashboard link's
 * `?token=` never is.
 */
export function requestLog(log: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = performance.now();
    res.once("finish", () => {
      if (res.statusCode < 400 && !req.path.startsWith("/api/")) return;
      const principal = (res.locals as { principal?: Principal }).principal;
      const fields = { audit: "http", method: req.method, path: req.path, status: res.statusCode, durationMs: Math.round((performance.now() - started) * 1_000) / 1_000, ...(principal ? { principal: principal.id } : {}) };
      log.info(`http ${req.method} ${req.path} ${res.statusCode}`, fields);
    });
    next();
  };
}
