import { jsonByteLength, type PlanEvent } from "../../shared/index.js";

/** The bounds of an {@link EventTail}. */
export interface EventTailBounds {
  /** Events kept at most. */
  maxEvents: number;
  /** Bytes (UTF-8 JSON) of the events kept at most; the newest event is kept whatever its size. */
  maxBytes: number;
}

/** A room's default: 4,096 events, 1 MiB. */
const DEFAULT_TAIL_BOUNDS: EventTailBounds = { maxEvents: 4_096, maxBytes: 1_048_576 };

/**
 * The most recent durable events of a plan, kept in memory so that joins and catch-ups need not
 * read the log: bounded by count and by bytes (a plan's `plan.submitted` and `plan.revised` carry
 * the whole plan, so a count alone lets a large plan keep megabytes), oldest dropped first. Older
 * events are read from the store.
 */
export class EventTail {
  private readonly events: PlanEvent[] = [];
  private readonly sizes: number[] = [];
  private head = 0;
  private bytes = 0;

  constructor(private readonly bounds: EventTailBounds = DEFAULT_TAIL_BOUNDS) {}

  /** Adds the next event (its seq follows the last one's), dropping the oldest past the bounds. */
  push(event: PlanEvent): void {
    const size = jsonByteLength(event);
    this.events.push(event);
    this.sizes.push(size);
    this.bytes += size;
    while (this.events.length - this.head > 1 && (this.events.length - this.head > this.bounds.maxEvents || this.bytes > this.bounds.maxBytes)) {
      this.bytes -= this.sizes[this.head]!;
      this.head++;
    }
    // Compact now and then, not on every drop.
    if (this.head > 1_024 && this.head * 2 > this.events.length) {
      this.events.splice(0, this.head);
      this.sizes.splice(0, this.head);
      this.head = 0;
    }
  }

  /** The seq of the oldest event kept; undefined when empty. */
  get firstSeq(): number | undefined {
    return this.events[this.head]?.seq;
  }

  /** Bytes of the events kept. */
  get byteLength(): number {
    return this.bytes;
  }

  /** The events kept with `fromSeq <= seq <= toSeq`; `fromSeq` must not be before {@link firstSeq}. */
  range(fromSeq: number, toSeq: number): PlanEvent[] {
    const first = this.firstSeq;
    if (first === undefined || toSeq < fromSeq) return [];
    return this.events.slice(this.head + (fromSeq - first), this.head + (toSeq - first) + 1);
  }
}
