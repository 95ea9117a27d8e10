/**
 * The client side of `bench:cluster`'s fan-out part, run as a separate process: connects each
 * reviewer to the next node in turn, joins every plan, prints `{"ready":true}`, records each
 * `plan:event`'s commit → receipt latency (the event's `at` against the wall clock, one machine),
 * and on a stdin line `report <from> <to>` prints the deliveries of events whose `at` falls in that
 * window (wall-clock ms) and their p50/p99, then exits.
 */
import { createInterface } from "node:readline";
import { io } from "socket.io-client";

interface Job {
  urls: string[];
  tokens: string[];
  planIds: string[];
}

const job = JSON.parse(process.argv[2] ?? "{}") as Job;
const now = (): number => performance.timeOrigin + performance.now();
const ats: number[] = [];
const latencies: number[] = [];

const sockets = job.tokens.map((token, i) => {
  const socket = io(job.urls[i % job.urls.length], { auth: { token }, transports: ["websocket"], reconnection: false, forceNew: true });
  socket.on("plan:event", (e: { at: number }) => {
    ats.push(e.at);
    latencies.push(now() - e.at);
  });
  return socket;
});

await Promise.all(sockets.map((s) => new Promise<void>((resolve, reject) => (s.once("connect", () => resolve()), s.once("connect_error", reject)))));
await Promise.all(
  sockets.flatMap((s) =>
    job.planIds.map(async (planId) => {
      const ack = (await s.timeout(30_000).emitWithAck("plan:join", { planId })) as { ok: boolean; error?: unknown };
      if (!ack.ok) throw new Error(`join failed: ${JSON.stringify(ack.error)}`);
    }),
  ),
);
console.log(JSON.stringify({ ready: true }));

createInterface({ input: process.stdin }).on("line", (line) => {
  const [, from, to] = line.split(" ").map(Number) as [number, number, number];
  const inWindow = latencies.filter((_, i) => ats[i]! >= from && ats[i]! < to).sort((a, b) => a - b);
  const pct = (p: number): number => inWindow[Math.min(inWindow.length - 1, Math.floor((p / 100) * inWindow.length))] ?? Number.NaN;
  console.log(JSON.stringify({ deliveries: inWindow.length, p50: pct(50), p99: pct(99), max: inWindow.at(-1) ?? Number.NaN }));
  for (const s of sockets) s.close();
  setTimeout(() => process.exit(0), 50);
});
