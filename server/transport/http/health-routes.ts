import { Router } from "express";
import type { RoomDirectory } from "../../rooms/room-directory.js";

/** `GET /healthz`: the process answers, with how many plans it holds. No token needed. */
export function healthRoutes(deps: { directory: RoomDirectory }): Router {
  const router = Router();
  router.get("/healthz", (_req, res) => {
    res.json({ ok: true, plans: deps.directory.size });
  });
  return router;
}
