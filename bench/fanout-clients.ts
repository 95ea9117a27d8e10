/**
 * The client side of `bench:fanout`, run as a separate process: connects the reviewers, joins the
 * plan (or just listens, for the raw baseline), records each delivery's latency, and prints one
 * JSON line of results when every client has seen the last event.
 */
import { io } from "socket.io-client";

interface Job {
  url: string;
  tokens: string[];
  planId?: string;
  /** Events each client must receive before it is done. */
  expect: number;
}

const job = JSON.parse(process.argv[2] ?? "{}") as Job;
const now = (): number => performance.timeOrigin + performance.now();
const latencies = new Float64Array(job.tokens.length * job.expect);
let recorded = 0;
let firstAt = Number.POSITIVE_INFINITY;
let lastRecv = 0;
let done = 0;

const sockets = job.tokens.map((token) => {
  const socket = io(job.url, { auth: { token }, transports: ["websocket"], reconnection: false, forceNew: true });
  let count = 0;
  socket.on("plan:event", (e: { at: number; planId: string }) => {
    const t = now();
    if (e.at < firstAt) firstAt = e.at;
    if (recorded < latencies.length) latencies[recorded++] = t - e.at;
    lastRecv = t;
    if (++count === job.expect) {
      done++;
      if (done === job.tokens.length) finish();
    }
  });
  return socket;
});

await Promise.all(sockets.map((s) => new Promise<void>((resolve, reject) => (s.once("connect", () => resolve()), s.once("connect_error", reject)))));
if (job.planId) {
  await Promise.all(sockets.map(async (s) => {
    const ack = (await s.timeout(30_000).emitWithAck("plan:join", { planId: job.planId })) as { ok: boolean; error?: unknown };
    if (!ack.ok) throw new Error(`join failed: ${JSON.stringify(ack.error)}`);
  }));
}
console.log(JSON.stringify({ ready: true }));

function finish(): void {
  const sorted = latencies.slice(0, recorded).sort();
  const pct = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
  console.log(JSON.stringify({ deliveries: recorded, firstAt, lastRecv, p50: pct(50), p99: pct(99), max: sorted[sorted.length - 1] ?? 0 }));
  for (const s of sockets) s.close();
  setTimeout(() => process.exit(0), 50);
}
