import { describe, expect, it } from "vitest";
import type { PlanEvent } from "../../../shared/index.js";
import { EventTail } from "../../../server/rooms/event-tail.js";

const event = (seq: number, note = ""): PlanEvent => ({ planId: "p", seq, type: "step.started", at: seq, data: { stepId: `s${note}`, attempt: 1 } });

describe("EventTail", () => {
  it("keeps at most maxEvents, oldest dropped first, and serves ranges by seq", () => {
    const tail = new EventTail({ maxEvents: 3, maxBytes: 1_000_000 });
    for (let seq = 1; seq <= 5; seq++) tail.push(event(seq));
    expect(tail.firstSeq).toBe(3);
    expect(tail.range(3, 5).map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(tail.range(4, 4).map((e) => e.seq)).toEqual([4]);
    expect(tail.range(6, 5)).toEqual([]);
  });

  it("keeps at most maxBytes of events, but always the newest one", () => {
    const tail = new EventTail({ maxEvents: 1_000, maxBytes: 2_000 });
    for (let seq = 1; seq <= 20; seq++) tail.push(event(seq, "x".repeat(400)));
    expect(tail.byteLength).toBeLessThanOrEqual(2_000);
    expect(tail.firstSeq).toBeGreaterThan(15);
    expect(tail.range(tail.firstSeq!, 20).at(-1)?.seq).toBe(20);
    tail.push(event(21, "y".repeat(5_000)));
    expect(tail.firstSeq).toBe(21);
    expect(tail.byteLength).toBeGreaterThan(5_000);
  });

  it("stays right across its compactions", () => {
    const tail = new EventTail({ maxEvents: 10, maxBytes: 1_000_000 });
    for (let seq = 1; seq <= 5_000; seq++) tail.push(event(seq));
    expect(tail.firstSeq).toBe(4_991);
    expect(tail.range(4_991, 5_000).map((e) => e.seq)).toEqual(Array.from({ length: 10 }, (_, i) => 4_991 + i));
  });
});
