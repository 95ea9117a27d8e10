/**
 * Part 2 of `bench:cluster`: vote → `plan.approved` at every member. Reviewers on every node join
 * 100 plans (quorum 1); one vote per plan, all sent at once, each from a reviewer on the next node
 * in turn; the latency runs from a vote being sent to the approval arriving at each member.
 */
import type { Socket } from "socket.io-client";
import { startCluster } from "../test/support/cluster.js";
import { ack, AGENT_TOKEN, BENCH_CONFIG, benchPrincipals, connectSocket, percentile, reviewerToken, submitPlan } from "./cluster-support.js";

const PLANS = 100;
/** Members per node. */
const MEMBERS_PER_NODE = 2;

/** The figures of part 2 on one cluster size. */
export interface ApprovalFigures {
  nodes: number;
  p50: number;
  p99: number;
  max: number;
  arrivals: number;
}

/** Runs part 2 on `nodes` nodes on the database at `url`. */
export async function approvalsPart(url: string, nodes: number): Promise<ApprovalFigures> {
  const cluster = await startCluster({ size: nodes, store: url, principals: benchPrincipals(3 * MEMBERS_PER_NODE), config: BENCH_CONFIG });
  const sockets: Socket[] = [];
  try {
    const nodeUrl = (i: number): string => cluster.node(i % nodes).url;
    const agent = await connectSocket(nodeUrl(0), AGENT_TOKEN);
    sockets.push(agent);
    // 2 members on each of 3 nodes in the 3-node run, the same 6 members on the one node otherwise.
    const members = await Promise.all(Array.from({ length: 3 * MEMBERS_PER_NODE }, (_, i) => connectSocket(nodeUrl(i), reviewerToken(i + 1))));
    sockets.push(...members);
    const planIds: string[] = [];
    for (let i = 0; i < PLANS; i++) planIds.push(await submitPlan(agent, `approval ${i}`, 1));
    await Promise.all(members.flatMap((m) => planIds.map((planId) => ack(m, "plan:join", { planId }))));
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    const expected = PLANS * members.length;
    const all = new Promise<void>((resolve) => {
      for (const m of members) {
        m.on("plan:event", (e: { planId: string; type: string }) => {
          if (e.type !== "plan.approved") return;
          latencies.push(performance.now() - sentAt.get(e.planId)!);
          if (latencies.length === expected) resolve();
        });
      }
    });
    const votes = planIds.map((planId, i) => {
      sentAt.set(planId, performance.now());
      return ack(members[i % members.length]!, "plan:vote", { planId, version: 1, decision: "approve" });
    });
    await Promise.all(votes);
    await Promise.race([all, new Promise((_, reject) => setTimeout(() => reject(new Error(`approvals: ${latencies.length} of ${expected} arrived`)), 30_000).unref())]);
    return { nodes, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: percentile(latencies, 100), arrivals: latencies.length };
  } finally {
    for (const s of sockets) s.close();
    await cluster.close();
  }
}
