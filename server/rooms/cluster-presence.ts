import type { PresenceMember, Role } from "../../shared/index.js";
import type { Cluster } from "../cluster/cluster.js";
import type { Logger } from "../runtime/logger.js";
import type { PlanRoom } from "./plan-room.js";
import type { MembershipChange } from "./plan-room-deps.js";

/** The socket id under which a member on another node stands in this node's room. */
const REMOTE = "cluster:";
/** How long presence hints of one plan are gathered before the plan's presence is read. */
const DEBOUNCE_MS = 50;

/** What {@link ClusterPresence} needs. */
interface ClusterPresenceDeps {
  cluster: Cluster;
  /** This node's room of a plan, if it is in memory. */
  room(planId: string): PlanRoom | undefined;
  log: Logger;
}

/**
 * Presence across nodes: who is in a plan's room on any node.
 *
 * - This node's joins and leaves are written to the cluster (which tells the other nodes), and the
 *   plan's presence is read again here after each.
 * - When another node's presence of a plan changes (a hint; or a dead node's members swept away),
 *   this node reads the plan's presence from the cluster, at most once per `DEBOUNCE_MS`, and
 *   stands each principal of it in its own room under a `cluster:` socket id (one entry per
 *   principal, as for local sockets); principals no longer there leave. The room's own presence
 *   deltas then tell this node's clients, in the same shape as for members on this node.
 */
export class ClusterPresence {
  /** The principals standing in for members elsewhere, per plan. */
  private readonly remote = new Map<string, Set<string>>();
  private readonly due = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly deps: ClusterPresenceDeps) {}

  /** Starts listening to the other nodes' presence. */
  start(): void {
    this.unsubscribe.push(
      this.deps.cluster.onHint((hint) => {
        if (hint.kind === "presence") this.refreshSoon(hint.planId);
      }),
    );
  }

  /** A socket of this node joined or left a room. */
  changed(room: PlanRoom, change: MembershipChange): void {
    if (change.socketId.startsWith(REMOTE)) return;
    const { presence } = this.deps.cluster;
    const written =
      change.kind === "join"
        ? presence.join({ planId: room.id, socketId: change.socketId, principalId: change.member.id, name: change.member.name, roles: change.member.roles })
        : presence.leave(room.id, change.socketId);
    // This node's own view is read again too: a principal may still be here through another node.
    written.then(() => this.refreshSoon(room.id)).catch((error: unknown) => this.deps.log.warn(`plan ${room.id}: presence not shared with the other nodes: ${error instanceof Error ? error.message : String(error)}`));
  }

  /** Stops listening and forgets the stand-ins' timers. */
  stop(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    for (const timer of this.due.values()) clearTimeout(timer);
    this.due.clear();
  }

  private refreshSoon(planId: string): void {
    if (this.due.has(planId) || !this.deps.room(planId)) return;
    const timer = setTimeout(() => {
      this.due.delete(planId);
      this.refresh(planId).catch((error: unknown) => this.deps.log.warn(`plan ${planId}: presence of the other nodes not read: ${error instanceof Error ? error.message : String(error)}`));
    }, DEBOUNCE_MS);
    timer.unref?.();
    this.due.set(planId, timer);
  }

  private async refresh(planId: string): Promise<void> {
    const members = await this.deps.cluster.presence.of(planId);
    const room = this.deps.room(planId);
    if (!room) return;
    const standing = this.remote.get(planId) ?? new Set<string>();
    const now = new Set(members.map((m) => m.principalId));
    for (const m of members) {
      const member: PresenceMember = { id: m.principalId, name: m.name, roles: m.roles as Role[] };
      if (!standing.has(m.principalId)) room.join(`${REMOTE}${m.principalId}`, member);
    }
    for (const id of standing) if (!now.has(id)) room.leave(`${REMOTE}${id}`);
    if (now.size > 0) this.remote.set(planId, now);
    else this.remote.delete(planId);
  }
}
