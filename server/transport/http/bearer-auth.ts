import type { NextFunction, Request, Response } from "express";
import { PlanroomError, type Principal } from "../../../shared/index.js";
import { bearerToken } from "../../auth/bearer-token.js";
import type { PrincipalRegistry } from "../../auth/principals.js";

/**
 * Express middleware: the request's `Authorization: Bearer <token>` must name a principal, which
 * later handlers read with {@link requestPrincipal}; otherwise `401 UNAUTHENTICATED`.
 */
export function bearerAuth(registry: PrincipalRegistry) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const token = bearerToken(req.get("authorization"));
    const principal = token !== undefined ? registry.authenticate(token) : undefined;
    // Refused through the API's error handler, so the body is the one every error has.
    if (!principal) return next(new PlanroomError("UNAUTHENTICATED", "a valid bearer token is required"));
    res.locals.principal = principal;
    next();
  };
}

/** The principal {@link bearerAuth} authenticated. */
export function requestPrincipal(res: Response): Principal {
  return res.locals.principal as Principal;
}
