/**
 * `npm run bench:votes`: durable votes/s on the embedded file store with few principals configured
 * (the baseline, 50) and with many (10,000), both servers in the same run, rounds interleaved. Each
 * of the voters votes on a plan of its own, one vote at a time (each awaited: written, `fdatasync`ed
 * and acknowledged), on a policy that the votes never decide (quorum 3, one vote each), so every
 * round measures votes only. Prints votes/s (best and median round), the process CPU time per vote
 * (server and clients: both run in this process) and the ratio many ÷ few against the target.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { io, type Socket } from "socket.io-client";
import type { PrincipalConfig } from "../server/app/config.js";
import { createPlanroomServer, type PlanroomServer } from "../server/app/create-server.js";
import { silentLogger } from "../server/runtime/logger.js";

const FEW = Number(process.env.VOTES_FEW ?? 50);
const MANY = Number(process.env.VOTES_MANY ?? 10_000);
const VOTERS = Number(process.env.VOTES_VOTERS ?? 8);
const ROUND_MS = Number(process.env.VOTES_ROUND_MS ?? 2_000);
const ROUNDS = Number(process.env.VOTES_ROUNDS ?? 5);
const TARGET = 0.8;

interface Setup {
  principals: number;
  server: PlanroomServer;
  dir: string;
  voters: { socket: Socket; planId: string }[];
  sockets: Socket[];
}

interface Round {
  perSecond: number;
  cpuPerVoteUs: number;
}

/** One agent, and reviewers up to `count` principals (an observer every tenth, so not all may vote). */
function principalsOf(count: number): PrincipalConfig[] {
  const list: PrincipalConfig[] = [{ id: "agent", name: "Agent", roles: ["agent"], token: "bench-agent-token-000" }];
  for (let i = 1; i < count; i++) list.push({ id: `p-${i}`, name: `Principal ${i}`, roles: [i % 10 === 0 ? "observer" : "reviewer"], token: `bench-principal-token-${i}` });
  return list;
}

const connect = (url: string, token: string): Socket => io(url, { auth: { token }, transports: ["websocket"], forceNew: true });

async function ack<T>(socket: Socket, event: string, payload: unknown): Promise<T> {
  const answer = (await socket.timeout(30_000).emitWithAck(event, payload)) as { ok: boolean; error?: unknown } & T;
  if (!answer.ok) throw new Error(`${event}: ${JSON.stringify(answer.error)}`);
  return answer;
}

async function setUp(count: number): Promise<Setup> {
  const dir = await mkdtemp(join(tmpdir(), "planroom-votes-"));
  const principals = principalsOf(count);
  const server = await createPlanroomServer({
    host: "127.0.0.1",
    port: 0,
    dataDir: join(dir, "data"),
    principals,
    tools: { noop: () => null },
    rateLimit: { burst: 1_000_000, perSecond: 1_000_000 },
    log: silentLogger,
  });
  const agent = connect(server.url, "bench-agent-token-000");
  const sockets = [agent];
  const voters: Setup["voters"] = [];
  const reviewers = principals.filter((p) => p.roles.includes("reviewer"));
  for (let i = 0; i < VOTERS; i++) {
    const plan = { description: `votes ${i}`, steps: [{ id: "s1", tool: "noop", description: "nothing" }] };
    const { planId } = await ack<{ planId: string }>(agent, "plan:submit", { plan, approval: { quorum: 3, reviewers: ["reviewer"] } });
    const socket = connect(server.url, (reviewers[i] as PrincipalConfig).token);
    sockets.push(socket);
    voters.push({ socket, planId });
  }
  return { principals: count, server, dir, voters, sockets };
}

/** Every voter votes in a loop, one vote at a time, for `ms`. */
async function round(setup: Setup, ms: number): Promise<Round> {
  let votes = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const end = start + ms;
  await Promise.all(
    setup.voters.map(async ({ socket, planId }) => {
      while (performance.now() < end) {
        await ack(socket, "plan:vote", { planId, version: 1, decision: "approve" });
        votes++;
      }
    }),
  );
  const elapsed = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { perSecond: votes / (elapsed / 1_000), cpuPerVoteUs: (used.user + used.system) / votes };
}

async function tearDown(setup: Setup): Promise<void> {
  for (const s of setup.sockets) s.close();
  await setup.server.close();
  await rm(setup.dir, { recursive: true, force: true });
}

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

const few = await setUp(FEW);
const many = await setUp(MANY);
try {
  // Warm-up: JIT, socket buffers, the store's first segment.
  await round(few, 500);
  await round(many, 500);
  const results = new Map<Setup, Round[]>([
    [few, []],
    [many, []],
  ]);
  for (let r = 0; r < ROUNDS; r++) {
    for (const setup of r % 2 === 0 ? [few, many] : [many, few]) results.get(setup)?.push(await round(setup, ROUND_MS));
  }
  const summary = (setup: Setup): { best: number; median: number; cpu: number } => {
    const rounds = results.get(setup) ?? [];
    return { best: Math.max(...rounds.map((x) => x.perSecond)), median: median(rounds.map((x) => x.perSecond)), cpu: median(rounds.map((x) => x.cpuPerVoteUs)) };
  };
  const a = summary(few);
  const b = summary(many);
  console.log(`durable votes: ${VOTERS} voters, one plan each, ${ROUNDS} rounds of ${ROUND_MS} ms (interleaved), file store`);
  console.table([
    { principals: FEW, "best votes/s": Math.round(a.best), "median votes/s": Math.round(a.median), "CPU/vote µs (median)": Math.round(a.cpu) },
    { principals: MANY, "best votes/s": Math.round(b.best), "median votes/s": Math.round(b.median), "CPU/vote µs (median)": Math.round(b.cpu) },
  ]);
  const ratio = b.best / a.best;
  console.log(`${MANY} ÷ ${FEW} principals: best ${ratio.toFixed(2)}, median ${(b.median / a.median).toFixed(2)}, CPU/vote ${(b.cpu / a.cpu).toFixed(2)}× (target ≥ ${TARGET}: ${ratio >= TARGET ? "met" : "missed"})`);
} finally {
  await tearDown(few);
  await tearDown(many);
}
