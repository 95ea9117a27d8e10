import { applyEvent, formatPlan, jsonByteLength, PlanroomError, type PlanEvent, type PlanState } from "../../shared/index.js";
import type { Store } from "../store/store.js";
import { EventTail } from "./event-tail.js";
import { PlanJsonCache } from "./plan-json-cache.js";
import { PreEncodedJson } from "./pre-encoded-json.js";

/** Steps listed in a join snapshot's `formatted` text; a larger plan's text ends with a count of the rest. */
const SNAPSHOT_FORMATTED_STEPS = 1_000;

/**
 * What a room has shown of its plan: the state folded from durable events, the recent events
 * themselves (bounded by count and bytes), and the encodings joins share. Events reach it only
 * once they are stored, in seq order (see `PlanRoom`).
 */
export class DurableView {
  private current: PlanState | undefined;
  /** Recent durable events for joins and catch-up, bounded by count and bytes. */
  private readonly tail = new EventTail();
  private readonly planJson = new PlanJsonCache();
  private encoded: { seq: number; plan: PreEncodedJson; formatted: string } | undefined;

  /** `state`: a stored plan's state, taken over (not copied). */
  constructor(
    private readonly planId: string,
    private readonly store: Store,
    state?: PlanState,
  ) {
    this.current = state;
  }

  /** The state, or undefined before the plan's first event is stored. */
  get state(): PlanState | undefined {
    return this.current;
  }

  /** The seq of the last event shown (0: none yet). */
  get seq(): number {
    return this.current?.seq ?? 0;
  }

  /** Folds the next durable event in; whether the plan's status changed. */
  fold(e: PlanEvent): boolean {
    const before = this.current?.plan.status;
    this.current = applyEvent(this.current, e);
    this.planJson.invalidate(e);
    this.tail.push(e);
    return this.current.plan.status !== before;
  }

  /**
   * The plan, encoded (see `PreEncodedJson`), and its `formatPlan` text, for a join's snapshot:
   * both are made once per seq, so joins that arrive together share them. The text lists the
   * first `SNAPSHOT_FORMATTED_STEPS` steps (the structured plan has them all).
   */
  snapshotView(): { plan: PreEncodedJson; formatted: string } {
    const state = this.required();
    if (this.encoded?.seq !== state.seq) this.encoded = { seq: state.seq, plan: new PreEncodedJson(this.planJson.encode(state.plan)), formatted: formatPlan(state.plan, { maxSteps: SNAPSHOT_FORMATTED_STEPS }) };
    return { plan: this.encoded.plan, formatted: this.encoded.formatted };
  }

  /** The state; NOT_FOUND before the plan's first event is stored. */
  required(): PlanState {
    if (!this.current) throw new PlanroomError("NOT_FOUND", `plan ${this.planId} is not stored yet`);
    return this.current;
  }

  /** A cheap estimate of the bytes held: the event tail (counted as events are added) and the plan, measured now. */
  estimateBytes(): number {
    return this.tail.byteLength + jsonByteLength(this.required().plan);
  }

  /**
   * The events with seq > `afterSeq`, up to `seq` at the moment the promise resolves (callers
   * answer in that same tick, so the live stream continues right after them), or only the first
   * `limit` of them (a page: only those are read).
   */
  async eventsAfter(afterSeq: number, limit = Number.POSITIVE_INFINITY): Promise<PlanEvent[]> {
    let collected: PlanEvent[] = [];
    let from = afterSeq;
    for (let round = 0; round < 8; round++) {
      if (from >= this.seq || collected.length >= limit) return collected;
      const first = this.tail.firstSeq;
      const upToSeq = Math.min(this.seq, from + (limit - collected.length));
      if (first !== undefined && first <= from + 1) return collected.concat(this.tail.range(from + 1, upToSeq));
      const read = await this.store.readEvents(this.planId, from, Number.isFinite(limit) ? limit - collected.length : undefined);
      const upTo = this.seq;
      const usable = read.filter((e) => e.seq <= upTo);
      collected = collected.concat(usable);
      const last = usable[usable.length - 1];
      if (!last || last.seq === from) throw new PlanroomError("INTERNAL", `plan ${this.planId}: the log has no event after ${from}`);
      from = last.seq;
    }
    throw new PlanroomError("INTERNAL", `plan ${this.planId}: could not catch up with the log`);
  }
}
