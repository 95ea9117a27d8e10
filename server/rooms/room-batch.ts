import { PlanroomError, type PlanEvent, type PlanEventBody, type PlanState } from "../../shared/index.js";
import type { LeaseToken } from "../store/store.js";

/** How a command's events follow from the plan's state: run again on a newer state when another writer got there first. */
export type Decide = (head: PlanState) => readonly PlanEventBody[];

/** One `record` or `command` call: its events as last decided, and how to decide them again. */
export interface RoomEntry {
  decide: Decide;
  /** The executor lease the events are written under (fencing), if they are an executor's. */
  lease: LeaseToken | undefined;
  events: PlanEvent[];
  /** How many times another writer's events came first (see `PlanRoom`'s retry bound). */
  conflicts: number;
  /** Settles once the events are durable and shown, or refused. */
  promise: Promise<PlanEvent[]>;
  resolve(events: PlanEvent[]): void;
  reject(error: unknown): void;
}

/** Events written in one `append` call: the entries recorded in one tick, in order. */
export interface RoomBatch {
  entries: RoomEntry[];
  events: PlanEvent[];
  lease: LeaseToken | undefined;
  /** Stored (the append resolved). */
  durable: boolean;
  /** How many of its events have been shown (folded into `durable` and broadcast). */
  shown: number;
  statusChanged: boolean;
  /** The append, once issued: settles when the store answered. */
  written?: Promise<unknown>;
}

/** A new entry for `decide`, whose events are decided by the caller. */
export function newEntry(decide: Decide, lease: LeaseToken | undefined): RoomEntry {
  let resolve!: (events: PlanEvent[]) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<PlanEvent[]>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // callers that await it still see the rejection
  return { decide, lease, events: [], conflicts: 0, promise, resolve, reject };
}

/** An empty batch; entries join it until it is written. */
export function newBatch(): RoomBatch {
  return { entries: [], events: [], lease: undefined, durable: false, shown: 0, statusChanged: false };
}

/** Adds an entry (its events decided) to a batch. */
export function addEntry(batch: RoomBatch, entry: RoomEntry): void {
  batch.entries.push(entry);
  batch.events.push(...entry.events);
  if (entry.lease) batch.lease = entry.lease;
}

/**
 * What a command is told when the store failed under it: a store refusal (a PlanroomError other
 * than OUTCOME_UNKNOWN) stored nothing; anything else may have reached the disk, and the caller must
 * not be told that nothing was stored.
 */
export function refusal(planId: string, error: unknown): PlanroomError {
  return error instanceof PlanroomError && error.code !== "OUTCOME_UNKNOWN"
    ? new PlanroomError("INTERNAL", `plan ${planId}: the store failed (the server log says why); nothing of this was stored`)
    : new PlanroomError("OUTCOME_UNKNOWN", `plan ${planId}: the store failed while recording this; it may or may not have been stored. Check the plan once the server is back before you retry`);
}

/** Refuses every entry of `batches` with `error`. */
export function rejectAll(batches: readonly RoomBatch[], error: unknown): void {
  for (const batch of batches) for (const entry of batch.entries) entry.reject(error);
}
