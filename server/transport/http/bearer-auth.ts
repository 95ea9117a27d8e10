import type { IncomingMessage } from "node:http";
import type { NextFunction, Request, Response } from "express";
import { PlanroomError, type Principal } from "../../../shared/index.js";
import { bearerToken } from "../../auth/bearer-token.js";
import type { PrincipalRegistry } from "../../auth/principals.js";
import { noMetrics, type ServerMetrics } from "../../runtime/server-metrics.js";
import { addressBudgetKey, principalBudgetKey, retryText, type RateBudgets, type RateVerdict } from "../rate-budget.js";

/** The rate limit of the routes behind {@link bearerAuth}. */
export interface HttpRateLimit {
  budgets: RateBudgets;
  /** The key a request's client address is counted under (the one the handshake gate uses). */
  addressOf: (req: IncomingMessage) => string;
  /** Counts the requests refused for a spent budget. */
  metrics?: Pick<ServerMetrics, "rateLimited"> | undefined;
}

/**
 * Express middleware: the request's `Authorization: Bearer <token>` must name a principal, which
 * later handlers read with {@link requestPrincipal}; otherwise `401 UNAUTHENTICATED`. With a
 * `limit`, each request first takes one unit of a budget: its principal's (shared with the
 * principal's sockets), or, without a valid token, its client address's (shared with that
 * address's handshakes); a spent budget is `429 RATE_LIMITED` with `Retry-After` (seconds).
 */
export function bearerAuth(registry: PrincipalRegistry, limit?: HttpRateLimit) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const token = bearerToken(req.get("authorization"));
    const principal = token !== undefined ? registry.authenticate(token) : undefined;
    // Refused through the API's error handler, so the body is the one every error has.
    const admit = (): void => {
      if (!principal) return next(new PlanroomError("UNAUTHENTICATED", "a valid bearer token is required"));
      res.locals.principal = principal;
      next();
    };
    if (!limit) return admit();
    const consumed = principal ? limit.budgets.principals.consume(principalBudgetKey(principal.id)) : limit.budgets.addresses.consume(addressBudgetKey(limit.addressOf(req)));
    consumed.then((verdict: RateVerdict) => {
      if (verdict.ok) return admit();
      (limit.metrics ?? noMetrics).rateLimited();
      res.set("retry-after", String(Math.ceil(verdict.retryAfterMs / 1_000)));
      const whose = principal ? `requests from ${principal.id} (its HTTP requests and socket commands count together)` : "requests without a valid token from this address";
      next(new PlanroomError("RATE_LIMITED", `too many ${whose}: ${retryText(verdict.retryAfterMs)}`));
    }, next);
  };
}

/** The principal {@link bearerAuth} authenticated. */
export function requestPrincipal(res: Response): Principal {
  return res.locals.principal as Principal;
}
