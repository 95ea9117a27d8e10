import { io as connectClient, type Socket } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";
import type { PrincipalConfig } from "../../../../server/app/config.js";
import type { PresenceDelta, Snapshot } from "../../../../shared/index.js";
import { chainPlan, useTestServer } from "../../../support/planroom-test-kit.js";
import { TEST_PRINCIPALS } from "../../../support/test-principals.js";

const scope = useTestServer();

/** Longer than any coalescing window (250 ms at most): a delta that is coming has come by then. */
const QUIET_MS = 400;

/** Observers with their own principal each. */
function crowd(n: number, prefix = "member"): PrincipalConfig[] {
  return Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, name: `Member ${i}`, roles: ["observer"], token: `${prefix}-token-secret-${i}` }));
}

/** One socket in a room, with the snapshot it joined with and every presence delta it received. */
class RoomSocket {
  readonly deltas: PresenceDelta[] = [];
  snapshot: Snapshot | undefined;
  constructor(readonly socket: Socket) {
    socket.on("presence:delta", (d: PresenceDelta) => this.deltas.push(d));
  }

  async join(planId: string): Promise<void> {
    const ack = await this.socket.timeout(10_000).emitWithAck("plan:join", { planId });
    if (!ack.ok) throw new Error(`join failed: ${JSON.stringify(ack.error)}`);
    this.snapshot = ack.snapshot as Snapshot;
  }

  /** The room as this socket knows it: the snapshot's list with the later deltas applied, in rev order, gap-free. */
  presence(): string[] {
    const snapshot = this.snapshot;
    if (!snapshot) return [];
    const ids = new Set(snapshot.presence.map((m) => m.id));
    let rev = snapshot.presenceRev;
    for (const d of this.deltas) {
      if (d.rev <= rev) continue;
      if (d.rev !== rev + 1) throw new Error(`presence rev ${d.rev} after ${rev}: a delta was lost`);
      rev = d.rev;
      for (const id of d.left) ids.delete(id);
      for (const m of d.joined) ids.add(m.id);
    }
    return [...ids].sort();
  }
}

const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

async function connectAs(principal: PrincipalConfig): Promise<RoomSocket> {
  const socket = connectClient(scope.server.url, { auth: { token: principal.token }, transports: ["websocket"], reconnection: false, forceNew: true });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", reject);
  });
  return new RoomSocket(socket);
}

async function roomWith(members: PrincipalConfig[]): Promise<string> {
  await scope.start({ principals: [...TEST_PRINCIPALS, ...members], tools: { t: () => 1 }, rateLimit: { burst: 10_000, perSecond: 10_000 } });
  const agent = await scope.join("agent-1");
  return (await agent.ok("plan:submit", { plan: chainPlan(["t"]) })).planId;
}

const quiet = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, QUIET_MS));
const ids = (members: PrincipalConfig[]): string[] => members.map((m) => m.id).sort();

describe("presence", () => {
  it("N members joining one room cost O(N) presence messages, and each ends with the full list", { timeout: 30_000 }, async () => {
    const N = 80;
    const members = crowd(N);
    const planId = await roomWith(members);
    const room = await Promise.all(members.map(connectAs));
    await Promise.all(room.map((s) => s.join(planId)));
    await expect.poll(() => room.filter((s) => s.presence().length === N).length, { timeout: 10_000 }).toBe(N);
    await quiet();

    for (const s of room) expect(s.presence()).toEqual(ids(members));
    const messages = room.reduce((sum, s) => sum + s.deltas.length, 0);
    // The full list to every member on every join made N(N+1)/2 = 3,240 messages here.
    expect(messages).toBeLessThanOrEqual(4 * N);
    // Nobody is told about anyone more than a few times (joins fold into a handful of deltas).
    const entries = room.reduce((sum, s) => sum + s.deltas.reduce((n, d) => n + d.joined.length + d.left.length, 0), 0);
    expect(entries).toBeLessThanOrEqual(2 * N * N);
    expect(room.flatMap((s) => s.deltas).every((d) => d.left.length === 0)).toBe(true);
  });

  it("joins one after another still fold into few deltas (the window grows with the room)", { timeout: 30_000 }, async () => {
    const N = 80;
    const members = crowd(N);
    const planId = await roomWith(members);
    const room = await Promise.all(members.map(connectAs));
    for (const s of room) await s.join(planId);
    await expect.poll(() => room.filter((s) => s.presence().length === N).length, { timeout: 10_000 }).toBe(N);
    await quiet();
    for (const s of room) expect(s.presence()).toEqual(ids(members));
    const messages = room.reduce((sum, s) => sum + s.deltas.length, 0);
    // Without coalescing every join reaches everyone already in: N(N+1)/2 = 3,240 messages (2,276 measured
    // with a 0 ms window). With the window it is about 2·t·N for joins t ms apart (~2–3 N on loopback).
    expect(messages).toBeLessThanOrEqual(12 * N);
  });

  it("a leave and a disconnect reach everyone else; the leaver's socket hears no more", async () => {
    const members = crowd(6);
    const planId = await roomWith(members);
    const room = await Promise.all(members.map(connectAs));
    for (const s of room) await s.join(planId);
    await expect.poll(() => room.every((s) => s.presence().length === 6), { timeout: 5_000 }).toBe(true);
    await quiet();
    const [leaver, dropper, ...stay] = room as [RoomSocket, RoomSocket, ...RoomSocket[]];
    const before = stay.map((s) => s.deltas.length);
    const leaverBefore = leaver.deltas.length;

    const left = await leaver.socket.timeout(5_000).emitWithAck("plan:leave", { planId });
    expect(left).toEqual({ ok: true });
    dropper.socket.close();
    const remaining = ids(members.slice(2));
    await expect.poll(() => stay.map((s) => s.presence()), { timeout: 5_000 }).toEqual(stay.map(() => remaining));
    await quiet();
    // One or two deltas each (the leave and the disconnect, together or not), never a full list.
    stay.forEach((s, i) => expect(s.deltas.length - (before[i] as number)).toBeGreaterThanOrEqual(1));
    stay.forEach((s, i) => expect(s.deltas.length - (before[i] as number)).toBeLessThanOrEqual(2));
    expect(leaver.deltas.length).toBe(leaverBefore);
    // Someone joining now is given the room as it is.
    const late = await connectAs(members[0] as PrincipalConfig);
    await late.join(planId);
    expect(late.snapshot?.presence.map((m) => m.id).sort()).toEqual(ids([members[0] as PrincipalConfig, ...members.slice(2)]));
  });

  it("several sockets of one principal count once: only the first join and the last leave are sent", async () => {
    const [watcher, multi] = crowd(2) as [PrincipalConfig, PrincipalConfig];
    const planId = await roomWith([watcher, multi]);
    const eye = await connectAs(watcher);
    await eye.join(planId);
    const tabs = [await connectAs(multi), await connectAs(multi), await connectAs(multi)] as [RoomSocket, RoomSocket, RoomSocket];
    await tabs[0].join(planId);
    await expect.poll(() => eye.presence(), { timeout: 5_000 }).toEqual(ids([watcher, multi]));
    await quiet();
    const settled = eye.deltas.length;

    await tabs[1].join(planId);
    await tabs[2].join(planId);
    expect(tabs[2].snapshot?.presence.map((m) => m.id).sort()).toEqual(ids([watcher, multi]));
    tabs[0].socket.close();
    await tabs[1].socket.timeout(5_000).emitWithAck("plan:leave", { planId });
    await quiet();
    expect(eye.deltas.length).toBe(settled);
    expect(eye.presence()).toEqual(ids([watcher, multi]));

    tabs[2].socket.close();
    await expect.poll(() => eye.presence(), { timeout: 5_000 }).toEqual([watcher.id]);
    expect(eye.deltas.slice(settled)).toEqual([{ planId, rev: expect.any(Number), joined: [], left: [multi.id] }]);
  });
});
