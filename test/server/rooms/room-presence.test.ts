import { afterEach, describe, expect, it, vi } from "vitest";
import { PresenceBroadcaster, presenceWindowMs } from "../../../server/rooms/presence-broadcaster.js";
import { RoomPresence } from "../../../server/rooms/room-presence.js";
import type { PresenceDelta, PresenceMember } from "../../../shared/index.js";

const member = (id: string): PresenceMember => ({ id, name: id.toUpperCase(), roles: ["reviewer"] });
const A = member("a");
const B = member("b");

/** Applies a delta to a list of ids the way a client does. */
function applied(ids: string[], delta: { joined: PresenceMember[]; left: string[] } | undefined): string[] {
  if (!delta) return ids;
  const set = new Set(ids);
  for (const id of delta.left) set.delete(id);
  for (const m of delta.joined) set.add(m.id);
  return [...set].sort();
}

describe("RoomPresence", () => {
  it("a principal joins with its first socket and leaves with its last; other sockets change nothing", () => {
    const room = new RoomPresence();
    room.join("s1", A);
    expect(room.takeDelta()).toEqual({ rev: 1, joined: [A], left: [] });
    room.join("s2", A);
    room.join("s2", A); // the same socket joining again
    expect(room.pending).toBe(false);
    expect(room.takeDelta()).toBeUndefined();
    expect(room.list()).toEqual([A]);
    expect(room.leave("s1")).toBe(true);
    expect(room.leave("s1")).toBe(false);
    expect(room.takeDelta()).toBeUndefined();
    room.leave("s2");
    expect(room.takeDelta()).toEqual({ rev: 2, joined: [], left: ["a"] });
    expect(room.rev).toBe(2);
    expect(room.list()).toEqual([]);
  });

  it("a snapshot is the full list with the revision it includes", () => {
    const room = new RoomPresence();
    room.join("s1", A);
    room.takeDelta();
    expect(room.join("s2", B)).toEqual({ members: [A, B], rev: 1 });
  });

  it("who joins and leaves within one window is not sent at all", () => {
    const room = new RoomPresence();
    room.join("s1", A);
    room.takeDelta();
    room.join("s2", B);
    room.leave("s2");
    expect(room.takeDelta()).toBeUndefined();
    expect(room.rev).toBe(1);
  });

  it("a change after a mid-window snapshot is sent, so that the snapshot's holder ends right too", () => {
    const room = new RoomPresence();
    room.join("a1", A);
    room.takeDelta();
    // In one window: A's socket leaves, B joins (its snapshot lacks A), A comes back.
    room.leave("a1");
    const snapshot = room.join("b1", B);
    room.join("a2", A);
    const delta = room.takeDelta();
    // Old members (who had A) and B (who had its snapshot) both end with A and B.
    expect(applied(["a"], delta)).toEqual(["a", "b"]);
    expect(applied(snapshot.members.map((m) => m.id), delta)).toEqual(["a", "b"]);
    expect(delta).toEqual({ rev: 2, joined: [A, B], left: [] });
  });

  it("a mid-window snapshot whose socket already left does not count", () => {
    const C = member("c");
    const room = new RoomPresence();
    room.join("a1", A);
    room.join("c1", C);
    room.takeDelta();
    // C's second socket takes a snapshot, A leaves and comes back after it: A would be re-sent for c2…
    room.join("c2", C);
    room.leave("a1");
    room.join("a2", A);
    expect(room.pending).toBe(true);
    // …but c2 is gone again, and everyone still in holds A already.
    room.leave("c2");
    expect(room.takeDelta()).toBeUndefined();
    expect(room.list()).toEqual([C, A]);
  });

  it("a leave after a snapshot that saw the leaver is sent, even if the leaver joined in the same window", () => {
    const room = new RoomPresence();
    room.join("a1", A);
    room.takeDelta();
    room.join("b1", B);
    const snapshot = room.join("a2", A); // a second socket of A, whose snapshot shows B
    room.leave("b1");
    const delta = room.takeDelta();
    expect(snapshot.members.map((m) => m.id)).toEqual(["a", "b"]);
    expect(delta).toEqual({ rev: 2, joined: [], left: ["b"] });
  });
});

describe("PresenceBroadcaster", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sends one net delta per room per window, none when nothing changed", () => {
    vi.useFakeTimers();
    const sent: PresenceDelta[] = [];
    const broadcaster = new PresenceBroadcaster((_planId, delta) => sent.push(delta), () => 20);
    const room = { id: "p1", members: new RoomPresence() };
    room.members.join("s1", A);
    broadcaster.changed(room);
    vi.advanceTimersByTime(10);
    room.members.join("s2", B);
    broadcaster.changed(room);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(10);
    expect(sent).toEqual([{ planId: "p1", rev: 1, joined: [A, B], left: [] }]);
    broadcaster.changed(room); // nothing pending: no window opens
    vi.advanceTimersByTime(100);
    expect(sent).toHaveLength(1);
    room.members.leave("s2");
    broadcaster.changed(room);
    broadcaster.stop();
    vi.advanceTimersByTime(100);
    expect(sent).toHaveLength(1);
  });

  it("the window grows with the room, from a few ms to 250 ms", () => {
    expect(presenceWindowMs(1)).toBe(5.5);
    expect(presenceWindowMs(400)).toBe(205);
    expect(presenceWindowMs(10_000)).toBe(250);
  });
});
