/**
 * Part 3 of `bench:cluster`: fan-out on `nodes` nodes of one database. 300 reviewer sockets (in a
 * client process of their own, spread over the nodes in turn) join 10 plans (quorum 300, so that
 * they stay open); one voter per plan, on the next node in turn, votes again and again at a fixed
 * pace; deliveries/s and commit → receipt latency of the events committed in the measured window.
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { startCluster } from "../test/support/cluster.js";
import { ack, AGENT_TOKEN, BENCH_CONFIG, benchPrincipals, connectSocket, reviewerToken, submitPlan } from "./cluster-support.js";

const SOCKETS = 300;
const PLANS = 10;
/** Each voter's pause between votes: 10 plans × 20 votes/s = 200 events/s, 60,000 deliveries/s offered. */
const VOTE_INTERVAL_MS = Number(process.env.CLUSTER_FANOUT_INTERVAL_MS ?? 50);
const WARM_UP_MS = 1_000;
const MEASURE_MS = 5_000;
/** After the window: time for its last events to arrive. */
const DRAIN_MS = 2_000;
const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** The figures of part 3 on one cluster size. */
export interface FanoutFigures {
  nodes: number;
  deliveriesPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  offeredPerSecond: number;
}

interface ClientReport {
  deliveries: number;
  p50: number;
  p99: number;
  max: number;
}

/** Runs part 3 on `nodes` nodes on the database at `url`. */
export async function fanoutPart(url: string, nodes: number): Promise<FanoutFigures> {
  const cluster = await startCluster({ size: nodes, store: url, principals: benchPrincipals(SOCKETS), config: BENCH_CONFIG });
  const nodeUrls = Array.from({ length: nodes }, (_, i) => cluster.node(i).url);
  const agent = await connectSocket(nodeUrls[0]!, AGENT_TOKEN);
  const voters = await Promise.all(Array.from({ length: PLANS }, (_, i) => connectSocket(nodeUrls[i % nodes]!, reviewerToken(i + 1))));
  let child: ChildProcessByStdio<Writable, Readable, null> | undefined;
  try {
    const planIds: string[] = [];
    for (let i = 0; i < PLANS; i++) planIds.push(await submitPlan(agent, `fan-out ${i}`, SOCKETS));
    const job = { urls: nodeUrls, tokens: Array.from({ length: SOCKETS }, (_, i) => reviewerToken(i + 1)), planIds };
    child = spawn(process.execPath, ["--import", "tsx", "bench/cluster-clients.ts", JSON.stringify(job)], { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"] });
    const lines = createInterface({ input: child.stdout });
    const messages: ((line: string) => void)[] = [];
    lines.on("line", (line) => messages.shift()?.(line));
    const next = (): Promise<string> => new Promise((resolve) => messages.push(resolve));
    const ready = next();
    await ready;
    const start = Date.now();
    const from = start + WARM_UP_MS;
    const to = from + MEASURE_MS;
    await Promise.all(
      voters.map(async (voter, i) => {
        const planId = planIds[i]!;
        for (let n = 0; Date.now() < to; n++) {
          const due = start + n * VOTE_INTERVAL_MS;
          if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
          await ack(voter, "plan:vote", { planId, version: 1, decision: "approve" });
        }
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, DRAIN_MS));
    const reported = next();
    child.stdin.write(`report ${from} ${to}\n`);
    const report = JSON.parse(await reported) as ClientReport;
    return { nodes, deliveriesPerSecond: report.deliveries / (MEASURE_MS / 1_000), p50: report.p50, p99: report.p99, max: report.max, offeredPerSecond: (PLANS * SOCKETS * 1_000) / VOTE_INTERVAL_MS };
  } finally {
    child?.kill();
    agent.close();
    for (const v of voters) v.close();
    await cluster.close();
  }
}
