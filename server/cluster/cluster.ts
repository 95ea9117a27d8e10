/**
 * The cluster: what the nodes of one Planroom deployment tell each other, and the small,
 * ephemeral state they share (who is in which plan room, which node serves a plan's agent).
 *
 * Delivery of hints is **best effort**:
 * - a hint is published after the caller's commit (the events, presence or route it names are
 *   already stored), queued and sent in batches a few milliseconds later;
 * - it reaches every other node that is connected at that moment, never the node that published it;
 * - the hints of one sender arrive in the order it published them;
 * - hints may be lost (a listener reconnecting, a node dying between commit and send, a payload
 *   refused): receivers must not depend on hints for correctness. They are a shortcut to what the
 *   store and the tables already hold; a node that may have missed some (see `onReconnect`) pulls
 *   what it lacks from the store's change feed.
 *
 * Presence and routes live as long as their node: a node that closes, or stops heartbeating for
 * longer than the dead-node limit, has its presence and routes removed.
 */
import type { PlanEvent } from "../../shared/index.js";

/** A short message from one node to the others; see the module comment for delivery semantics. */
export type Hint =
  /** Committed events of a plan, inline because they fit in one message. */
  | { kind: "events"; planId: string; events: PlanEvent[] }
  /** A plan's log is committed up to `seq`: pull what you lack. */
  | { kind: "head"; planId: string; seq: number }
  /** A plan's presence changed: read it again. */
  | { kind: "presence"; planId: string }
  /** A plan's agent route changed: read it again. */
  | { kind: "route"; planId: string }
  /** A plan was asked to cancel. */
  | { kind: "cancel"; planId: string }
  /** A tool call relayed to node `to`, or its answer back to it. */
  | { kind: "tool"; to: string; callId: string };

/** A socket of a principal in a plan room, as a node registers it. */
export interface PresenceJoin {
  planId: string;
  socketId: string;
  principalId: string;
  name: string;
  roles: string[];
}

/** Who is in a plan room: one entry per principal, whatever node its sockets are on. */
export interface ClusterPresenceMember {
  principalId: string;
  name: string;
  roles: string[];
}

/** Which node serves a plan's agent, and through which of its sockets. */
export interface AgentRoute {
  nodeId: string;
  socketId: string;
}

/** The coordination between the nodes of one deployment (one node alone: `createLocalCluster`). */
export interface Cluster {
  /** This node's id, unique per process start. */
  readonly nodeId: string;
  /** Starts listening for hints, registers the node and starts its heartbeats. */
  open(): Promise<void>;
  /** Deregisters the node (its presence and routes go), stops its timers and ends its connections; idempotent. */
  close(): Promise<void>;
  /** Queues a hint for the other nodes; sent in a batch shortly after. Never throws (a hint that cannot be sent is dropped). */
  publish(hint: Hint): void;
  /** Calls `listener` with each hint of another node and that node's id; returns the unsubscribe. */
  onHint(listener: (hint: Hint, from: string) => void): () => void;
  /** Calls `listener` when the hint connection came back after a loss: hints sent meanwhile may be lost. Returns the unsubscribe. */
  onReconnect(listener: () => void): () => void;
  /** Presence across nodes; a join, and a leave that removed a socket, publish a `presence` hint. */
  presence: {
    /** Registers a socket of this node in a plan room (again: replaced). */
    join(member: PresenceJoin): Promise<void>;
    /** Removes a socket of this node from a plan room (absent: nothing). */
    leave(planId: string, socketId: string): Promise<void>;
    /** Who is in the plan room on any node, one entry per principal, in the order they came. */
    of(planId: string): Promise<ClusterPresenceMember[]>;
  };
  /** Agent routes across nodes; a set, and a clear that removed the route, publish a `route` hint. */
  routes: {
    /** Makes this node's socket the plan's agent route (replacing any other). */
    set(planId: string, socketId: string): Promise<void>;
    /** Removes the plan's route, only if it still is this node's route through that socket. */
    clear(planId: string, socketId: string): Promise<void>;
    /** The plan's route, if any. */
    of(planId: string): Promise<AgentRoute | undefined>;
  };
}
