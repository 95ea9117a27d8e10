import { afterEach, describe, expect, it } from "vitest";
import { connect, type PlanroomClient, type RoomHandle } from "../../client/index.js";
import { chainPlan, useTestServer } from "../support/planroom-test-kit.js";
import { tokenOf } from "../support/test-principals.js";

const scope = useTestServer();
const clients: PlanroomClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

function sdk(id: string, reconnectionDelay = 50): PlanroomClient {
  const c = connect(scope.server.url, { token: tokenOf(id), commandTimeoutMs: 5_000, socketOptions: { reconnectionDelay, reconnectionDelayMax: reconnectionDelay } });
  clients.push(c);
  return c;
}

const ids = (room: RoomHandle): string[] => room.presence.map((m) => m.id).sort();
/** Longer than any coalescing window: a change that is coming has come by then. */
const quiet = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 400));

describe("room.presence over a real server", () => {
  it("stays right across joins, leaves, several connections of one principal and a reconnection", async () => {
    await scope.start({ tools: { t: () => 1 } });
    const agent = await scope.join("agent-1");
    const { planId } = await agent.ok("plan:submit", { plan: chainPlan(["t"]) });

    // Alice reconnects slowly enough that what happens while she is away comes in her re-join's snapshot.
    const alice = sdk("rev-1", 500);
    const room = await alice.join(planId);
    expect(ids(room)).toEqual(["rev-1"]);
    const changes: { joined: string[]; left: string[] }[] = [];
    room.on("presence", (_members, change) => changes.push({ joined: change.joined.map((m) => m.id), left: change.left.map((m) => m.id) }));

    const bob = sdk("rev-2");
    const bobRoom = await bob.join(planId);
    expect(ids(bobRoom)).toEqual(["rev-1", "rev-2"]);
    await expect.poll(() => ids(room), { timeout: 2_000 }).toEqual(["rev-1", "rev-2"]);

    // A second connection of Bob's (another tab) adds nobody; closing it removes nobody.
    const bobTab = sdk("rev-2");
    await bobTab.join(planId);
    bobTab.close();
    await quiet();
    expect(ids(room)).toEqual(["rev-1", "rev-2"]);
    expect(changes).toEqual([{ joined: ["rev-2"], left: [] }]);

    // Alice's connection drops; Bob leaves and the observer comes while she is away.
    const aliceSocket = [...scope.server.io.of("/").sockets.values()].find((s) => s.data.principal.id === "rev-1");
    aliceSocket?.conn.close();
    await expect.poll(() => alice.connectionState, { timeout: 2_000 }).not.toBe("connected");
    await bobRoom.leave();
    const observer = sdk("obs");
    await observer.join(planId);
    expect(alice.connectionState).toBe("reconnecting");
    await expect.poll(() => ids(room), { timeout: 5_000 }).toEqual(["obs", "rev-1"]);
    expect(alice.connectionState).toBe("connected");

    // Deltas keep coming after the reconnection.
    const bobAgain = await bob.join(planId);
    await expect.poll(() => ids(room), { timeout: 2_000 }).toEqual(["obs", "rev-1", "rev-2"]);
    expect(ids(bobAgain)).toEqual(["obs", "rev-1", "rev-2"]);
    observer.close();
    await expect.poll(() => ids(room), { timeout: 2_000 }).toEqual(["rev-1", "rev-2"]);
    await expect.poll(() => ids(bobAgain), { timeout: 2_000 }).toEqual(["rev-1", "rev-2"]);
    // Every change was told once, with what changed (the reconnection's as one net change).
    expect(changes).toEqual([
      { joined: ["rev-2"], left: [] },
      { joined: ["obs"], left: ["rev-2"] },
      { joined: ["rev-2"], left: [] },
      { joined: [], left: ["obs"] },
    ]);
  });
});
