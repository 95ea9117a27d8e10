import { z } from "zod";
import { PlanIdSchema, PlanroomError, toIssues } from "../../shared/index.js";
import type { PresenceJoin } from "./cluster.js";

/** A socket id as Socket.IO makes them (and a little room beyond). */
const SocketIdSchema = z.string().min(1).max(128);

const PresenceJoinSchema = z.strictObject({
  planId: PlanIdSchema,
  socketId: SocketIdSchema,
  principalId: z.string().min(1).max(128),
  name: z.string().min(1).max(256),
  roles: z.array(z.string().min(1).max(64)).max(32),
});

function parsed<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new PlanroomError("VALIDATION", `invalid ${what}`, toIssues(result.error.issues));
  return result.data;
}

/** The member of a presence join, checked; VALIDATION otherwise. */
export function checkPresenceJoin(member: PresenceJoin): PresenceJoin {
  return parsed(PresenceJoinSchema, member, "presence member");
}

/** A plan id and a socket id, checked; VALIDATION otherwise. */
export function checkPlanSocket(planId: string, socketId: string): void {
  parsed(PlanIdSchema, planId, "plan id");
  parsed(SocketIdSchema, socketId, "socket id");
}

/** A plan id, checked; VALIDATION otherwise. */
export function checkPlanId(planId: string): void {
  parsed(PlanIdSchema, planId, "plan id");
}
