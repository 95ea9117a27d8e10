import type { AgentRoute, Cluster, ClusterPresenceMember, PresenceJoin } from "./cluster.js";
import { checkPlanId, checkPlanSocket, checkPresenceJoin } from "./cluster-input.js";

/**
 * The cluster of one node alone, in this process: there are no other nodes, so `publish` delivers
 * nothing and no hint or reconnect ever arrives; presence and routes are kept in memory.
 */
export function createLocalCluster(nodeId: string): Cluster {
  /** Plan id → socket id → member, in the order the sockets joined. */
  const presence = new Map<string, Map<string, PresenceJoin>>();
  /** Plan id → the socket serving its agent. */
  const routes = new Map<string, string>();

  return {
    nodeId,
    async open() {},
    async close() {
      presence.clear();
      routes.clear();
    },
    publish() {},
    onHint: () => () => undefined,
    onReconnect: () => () => undefined,
    presence: {
      async join(member) {
        const checked = checkPresenceJoin(member);
        let sockets = presence.get(checked.planId);
        if (!sockets) presence.set(checked.planId, (sockets = new Map<string, PresenceJoin>()));
        sockets.set(checked.socketId, checked);
      },
      async leave(planId, socketId) {
        checkPlanSocket(planId, socketId);
        const sockets = presence.get(planId);
        sockets?.delete(socketId);
        if (sockets?.size === 0) presence.delete(planId);
      },
      async of(planId) {
        checkPlanId(planId);
        const members = new Map<string, ClusterPresenceMember>();
        for (const m of presence.get(planId)?.values() ?? []) {
          if (!members.has(m.principalId)) members.set(m.principalId, { principalId: m.principalId, name: m.name, roles: [...m.roles] });
        }
        return [...members.values()];
      },
    },
    routes: {
      async set(planId, socketId) {
        checkPlanSocket(planId, socketId);
        routes.set(planId, socketId);
      },
      async clear(planId, socketId) {
        checkPlanSocket(planId, socketId);
        if (routes.get(planId) === socketId) routes.delete(planId);
      },
      async of(planId): Promise<AgentRoute | undefined> {
        checkPlanId(planId);
        const socketId = routes.get(planId);
        return socketId === undefined ? undefined : { nodeId, socketId };
      },
    },
  };
}
