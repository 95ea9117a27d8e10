import { existsSync } from "node:fs";
import cors from "cors";
import express, { type NextFunction, type Request, type Response } from "express";
import helmet from "helmet";
import { formatPlan, PlanroomError, type Principal } from "../../../shared/index.js";
import { bearerToken } from "../../auth/bearer-token.js";
import { toWireError } from "../socket/dispatch.js";
import type { Logger } from "../../runtime/logger.js";
import type { RoomDirectory } from "../../rooms/room-directory.js";
import { listItem, matchesFilter, page } from "../../rooms/plan-list.js";
import type { PrincipalRegistry } from "../../auth/principals.js";

/** What the HTTP routes need. */
export interface HttpApiDeps {
  directory: RoomDirectory;
  registry: PrincipalRegistry;
  corsOrigins: string[];
  /** The dashboard's built files, served at `/` when the folder exists. */
  webDir?: string | undefined;
  log: Logger;
}

/** Most events in one answer of `GET /api/plans/:id`. */
const EVENTS_PAGE = 1_000;

const STATUS: Record<string, number> = { VALIDATION: 400, UNAUTHENTICATED: 401, FORBIDDEN: 403, NOT_FOUND: 404, CONFLICT: 409, INVALID_STATE: 409, RATE_LIMITED: 429, QUOTA_EXCEEDED: 429, OUTCOME_UNKNOWN: 503 };

/** The link a reviewer opens to see a plan in the dashboard. */
export function reviewLink(baseUrl: string, token: string, planId: string): string {
  return `${baseUrl.replace(/\/$/, "")}/?token=${encodeURIComponent(token)}#/plans/${encodeURIComponent(planId)}`;
}

/**
 * The HTTP side: `GET /healthz`, `GET /api/plans`, `GET /api/plans/:id` (bearer token, same
 * visibility as the sockets), helmet headers with a CSP that allows the dashboard and its
 * Socket.IO connection, CORS from the configured origins, and the dashboard's static files.
 */
export function createHttpApi(deps: HttpApiDeps): express.Express {
  const app = express();
  app.disable("x-powered-by");
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

  app.get("/healthz", (_req, res) => {
    res.json({ ok: true, plans: deps.directory.size });
  });

  const auth = (req: Request, res: Response, next: NextFunction): void => {
    const token = bearerToken(req.get("authorization"));
    const principal = token !== undefined ? deps.registry.authenticate(token) : undefined;
    if (!principal) {
      res.status(401).json({ ok: false, error: { code: "UNAUTHENTICATED", message: "a valid bearer token is required" } });
      return;
    }
    res.locals.principal = principal;
    next();
  };

  app.get("/api/plans", auth, (req, res) => {
    const principal = res.locals.principal as Principal;
    const status = typeof req.query.status === "string" ? (req.query.status.split(",") as never) : undefined;
    const submittedBy = typeof req.query.submittedBy === "string" ? req.query.submittedBy : undefined;
    const limit = Math.min(500, Math.max(1, Number(req.query.limit) || 50));
    const cursor = typeof req.query.cursor === "string" ? req.query.cursor : undefined;
    const states = deps.directory.visibleStates(principal).filter((s) => matchesFilter(s, { status, submittedBy }));
    const result = page(states, limit, cursor);
    if (!result) throw new PlanroomError("VALIDATION", "invalid cursor");
    res.json({ ok: true, plans: result.items.map(listItem), ...(result.nextCursor ? { nextCursor: result.nextCursor } : {}) });
  });

  app.get("/api/plans/:id", auth, async (req, res) => {
    const principal = res.locals.principal as Principal;
    const room = deps.directory.visible(String(req.params.id), principal);
    // Events come a page at a time: `?afterSeq=` (default 0) and `?limit=` (default and most 1,000).
    const afterSeq = Math.max(0, Math.floor(Number(req.query.afterSeq) || 0));
    const limit = Math.min(EVENTS_PAGE, Math.max(1, Math.floor(Number(req.query.limit) || EVENTS_PAGE)));
    const all = await room.eventsAfter(afterSeq);
    const state = room.durable;
    const events = all.slice(0, limit);
    const last = events[events.length - 1];
    const nextAfterSeq = all.length > limit && last ? last.seq : undefined;
    res.json({ ok: true, plan: state.plan, formatted: formatPlan(state.plan), policy: state.policy, votes: state.votes, submittedBy: state.submittedBy, seq: state.seq, events, ...(nextAfterSeq !== undefined ? { nextAfterSeq } : {}) });
  });

  if (deps.webDir && existsSync(deps.webDir)) app.use(express.static(deps.webDir));

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ ok: false, error: { code: "NOT_FOUND", message: "no such route" } });
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const wire = toWireError(error, deps.log, "http");
    res.status(STATUS[wire.code] ?? 500).json({ ok: false, error: wire });
  });
  return app;
}
