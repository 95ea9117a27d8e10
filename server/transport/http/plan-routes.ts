import { Router } from "express";
import type { Role } from "../../../shared/index.js";
import type { PrincipalRegistry } from "../../auth/principals.js";
import { encodeCursor, planListQuery } from "../../rooms/plan-list.js";
import type { RoomDirectory } from "../../rooms/room-directory.js";
import { bearerAuth, requestPrincipal, type HttpRateLimit } from "./bearer-auth.js";
import { planReadQuery, plansListQuery } from "./http-queries.js";

/**
 * `GET /api/plans` (the rows of `plans:list`, a page at a time) and `GET /api/plans/:id` (the plan,
 * its policy, votes and events, a page at a time), with a bearer token and the same visibility
 * as the sockets; each request takes one unit of its principal's rate budget (see {@link bearerAuth}).
 */
export function planRoutes(deps: { directory: RoomDirectory; registry: PrincipalRegistry; voterRoles: readonly Role[]; rateLimit?: HttpRateLimit | undefined }): Router {
  const router = Router();
  router.use("/api/plans", bearerAuth(deps.registry, deps.rateLimit));

  router.get("/api/plans", async (req, res) => {
    const { limit, cursor, ...filter } = plansListQuery(req.query);
    const page = await deps.directory.list(planListQuery(requestPrincipal(res), filter, { limit, cursor }, deps.voterRoles));
    res.json({ ok: true, plans: page.plans, ...(page.next ? { nextCursor: encodeCursor(page.next) } : {}) });
  });

  router.get("/api/plans/:id", async (req, res) => {
    const { afterSeq, limit } = planReadQuery(req.query);
    const room = await deps.directory.visible(req.params.id, requestPrincipal(res));
    const release = deps.directory.hold(room);
    let all;
    try {
      all = await room.eventsAfter(afterSeq, limit + 1); // one more: whether there is a next page
    } finally {
      release();
    }
    const state = room.durable;
    const events = all.slice(0, limit);
    const last = events[events.length - 1];
    const nextAfterSeq = all.length > limit && last ? last.seq : undefined;
    res.json({ ok: true, plan: state.plan, formatted: room.snapshotView().formatted, policy: state.policy, votes: state.votes, submittedBy: state.submittedBy, seq: state.seq, events, ...(nextAfterSeq !== undefined ? { nextAfterSeq } : {}) });
  });
  return router;
}
