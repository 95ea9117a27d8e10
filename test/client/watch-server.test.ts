import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { connect, type PlanroomClient } from "../../client/index.js";
import type { PlanroomServer } from "../../server/index.js";
import { startRealServer } from "../support/real-server.js";
import { TOKENS } from "../support/test-principals.js";

let server: PlanroomServer;
let cleanup: () => Promise<void>;
const clients: PlanroomClient[] = [];

beforeAll(async () => {
  ({ server, cleanup } = await startRealServer());
});
afterAll(async () => {
  for (const c of clients) c.close();
  await cleanup();
});

function sdk(token: string): PlanroomClient {
  const c = connect(server.url, { token });
  clients.push(c);
  return c;
}

const plan = { description: "watched", steps: [{ id: "a", tool: "sleep", params: { ms: 300 } }] };

describe("client.watch against a real server", { timeout: 30_000 }, () => {
  it("a reviewer voting again is counted once, in rows from the list and from events", async () => {
    const agent = sdk(TOKENS.agent);
    const reviewer = sdk(TOKENS.reviewer1);
    const observer = sdk(TOKENS.observer);
    const handle = await agent.submit(plan, { approval: { quorum: 2 } });
    const room = await reviewer.join(handle.planId);
    await room.approve("first");
    const all = await observer.watch();
    expect(all.plans.get(handle.planId)).toMatchObject({ approvals: 1, rejections: 0, votes: [{ voterId: "reviewer-1", decision: "approve" }] });
    const seq = all.plans.get(handle.planId)!.seq;
    await room.approve("again");
    await vi.waitFor(() => expect(all.plans.get(handle.planId)?.seq).toBe(seq + 1));
    const listed = (await observer.list()).plans.find((p) => p.id === handle.planId);
    expect(listed).toMatchObject({ approvals: 1, votes: [{ voterId: "reviewer-1", decision: "approve" }] });
    expect(all.plans.get(handle.planId)).toMatchObject({ status: "pending_approval", approvals: 1, votes: listed!.votes });
    await room.reject("changed my mind");
    await vi.waitFor(() => expect(all.plans.get(handle.planId)).toMatchObject({ status: "rejected", approvals: 0, rejections: 1 }));
    await all.close();
  });

  it("a status filter drops plans that leave the status and adds plans that enter it", async () => {
    const agent = sdk(TOKENS.agent);
    const reviewer = sdk(TOKENS.reviewer1);
    const observer = sdk(TOKENS.observer);
    const older = await agent.submit(plan, { autoExecute: true });
    const executing = await observer.watch({ status: "executing" });
    const pending = await observer.watch({ status: "pending_approval" });
    const seen: string[] = [];
    executing.on("plan", (item) => seen.push(`${item.id}:${item.status}:${executing.plans.has(item.id)}`));
    expect(executing.plans.has(older.planId)).toBe(false);
    expect(pending.plans.get(older.planId)?.status).toBe("pending_approval");
    const newer = await agent.submit(plan, { autoExecute: true });
    await vi.waitFor(() => expect(pending.plans.has(newer.planId)).toBe(true));
    for (const id of [older.planId, newer.planId]) await (await reviewer.join(id)).approve();
    // The older plan was submitted before the watch: its row is fetched from the server.
    await vi.waitFor(() => expect([...executing.plans.keys()].sort()).toEqual([older.planId, newer.planId].sort()));
    expect(executing.plans.get(older.planId)).toMatchObject({ status: "executing", description: "watched", submittedBy: { id: "agent-1" } });
    expect(pending.plans.has(older.planId)).toBe(false);
    expect(pending.plans.has(newer.planId)).toBe(false);
    await Promise.all([older.done(), newer.done()]);
    await vi.waitFor(() => expect(executing.plans.size).toBe(0));
    expect(seen).toContain(`${older.planId}:executing:true`);
    expect(seen).toContain(`${older.planId}:completed:false`);
    expect(seen).toContain(`${newer.planId}:completed:false`);
  });
});
