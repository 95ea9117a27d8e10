import type { PlanEvent } from "../../shared/index.js";
import type { Cluster, Hint } from "../cluster/cluster.js";
import type { Logger } from "../runtime/logger.js";
import type { FeedCursor, Store } from "../store/store.js";
import type { PlanRoom } from "./plan-room.js";

/** How many feed rows one poll reads; a full page is followed by the next at once. */
const FEED_PAGE = 5_000;

/** What {@link RemoteEvents} needs. */
interface RemoteEventsDeps {
  store: Store;
  cluster: Cluster;
  /** This node's room of a plan, if it is in memory (plans not in memory have nobody to tell). */
  room(planId: string): PlanRoom | undefined;
  /** How often the change feed is read (the safety net for lost hints). */
  feedPollMs: number;
  log: Logger;
}

/**
 * How the events other nodes commit reach this node's rooms, and this node's commits reach theirs.
 *
 * - After each of its own appends commits, a node publishes the events as a hint (the cluster sends
 *   a `head` hint instead when they do not fit in one message).
 * - A hint from another node is offered to the plan's room here, if that room is in memory
 *   (`PlanRoom.offer` / `PlanRoom.behind`: shown once each, in seq order, gaps read from the store).
 * - Hints can be lost (a node dies between commit and hint, the listener's connection drops), so
 *   the store's lossless change feed is read every `feedPollMs`, and at once after the hint
 *   connection comes back: each plan it names is brought up to the seq the feed saw.
 *
 * Plan events never travel through a Socket.IO adapter: each node emits to its own sockets only,
 * from the room's ordered view, so order and completeness never depend on the bus.
 */
export class RemoteEvents {
  private cursor: FeedCursor | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private polling: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly deps: RemoteEventsDeps) {}

  /** Starts following: the feed from now on (call before rooms are loaded), hints, and the poll. */
  async start(): Promise<void> {
    const { store, cluster } = this.deps;
    if (store.feedStart) this.cursor = await store.feedStart();
    this.unsubscribe.push(
      cluster.onHint((hint) => this.hinted(hint)),
      cluster.onReconnect(() => this.poll()),
    );
    this.schedule();
  }

  /** This node committed `events` of a plan: the other nodes are told. */
  committed(planId: string, events: readonly PlanEvent[]): void {
    if (events.length > 0) this.deps.cluster.publish({ kind: "events", planId, events: [...events] });
  }

  /** Stops the poll and the hints. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    for (const off of this.unsubscribe.splice(0)) off();
  }

  private hinted(hint: Hint): void {
    if (hint.kind === "events") this.deps.room(hint.planId)?.offer(hint.events);
    else if (hint.kind === "head") this.deps.room(hint.planId)?.behind(hint.seq);
  }

  private schedule(): void {
    if (this.stopped || !this.deps.store.readFeed) return;
    this.timer = setTimeout(() => this.poll(), this.deps.feedPollMs);
    this.timer.unref?.();
  }

  /** Reads the feed up to now (once at a time; a call meanwhile reads again after). */
  private poll(): void {
    if (this.polling) {
      this.again = true;
      return;
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.polling = this.readFeed()
      .catch((error: unknown) => this.deps.log.warn(`change feed: ${String(error)} (read again in ${this.deps.feedPollMs} ms)`))
      .finally(() => {
        this.polling = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          this.poll();
        } else this.schedule();
      });
  }

  private async readFeed(): Promise<void> {
    const { store } = this.deps;
    if (!store.readFeed) return;
    for (;;) {
      const page = await store.readFeed(this.cursor, FEED_PAGE);
      this.cursor = page.cursor;
      const heads = new Map<string, number>();
      for (const change of page.changes) heads.set(change.planId, Math.max(heads.get(change.planId) ?? 0, change.seq));
      for (const [planId, seq] of heads) this.deps.room(planId)?.behind(seq);
      if (page.changes.length < FEED_PAGE || this.stopped) return;
    }
  }
}
