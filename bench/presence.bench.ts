/**
 * `npm run bench:presence`: 400 members (each its own principal) join one room — all at once
 * ("burst") and one after another, each waiting for its ack ("sequential") — and every client counts
 * the presence messages and bytes it receives until the room is quiet. Planroom (coalesced
 * `presence:delta`s over the join snapshot) against, in the same run, a raw Socket.IO server that
 * does what Planroom did before: the whole member list to every member on each join. Prints both and
 * the ratios; checks that every Planroom client ends with the full list. `PRESENCE_MEMBERS` changes
 * the count.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "socket.io";
import { io, type Socket } from "socket.io-client";
import type { PrincipalConfig } from "../server/app/config.js";
import { createPlanroomServer } from "../server/app/create-server.js";
import { silentLogger } from "../server/runtime/logger.js";
import { createMemoryStore } from "../server/store/memory-store.js";
import type { PresenceDelta, PresenceMember, Snapshot } from "../shared/index.js";

const MEMBERS = Number(process.env.PRESENCE_MEMBERS ?? 400);
/** The room counts as quiet when no client received anything for this long (longer than any coalescing window). */
const QUIET_MS = 500;
type Mode = "burst" | "sequential";

interface Figures {
  /** Presence messages received, summed over the clients. */
  messages: number;
  /** Bytes of the presence messages' JSON. */
  presenceBytes: number;
  /** Every frame the clients received from the first join on (join acks with their snapshots included). */
  wireBytes: number;
  /** From the first join to the last frame. */
  ms: number;
}

const members: PrincipalConfig[] = Array.from({ length: MEMBERS }, (_, i) => ({ id: `member-${i}`, name: `Member ${i}`, roles: ["observer"], token: `bench-member-token-${i}` }));

/** One client: counts what it receives; `presence()` is the room as it knows it. */
class Member {
  presenceMessages = 0;
  presenceBytes = 0;
  wireBytes = 0;
  lastFrameAt = 0;
  ids = new Set<string>();
  #rev = 0;
  #deltas: PresenceDelta[] = [];

  constructor(readonly socket: Socket, event: "presence" | "presence:delta") {
    socket.on(event, (message: PresenceDelta | { members: PresenceMember[] }) => {
      this.presenceMessages++;
      this.presenceBytes += Buffer.byteLength(JSON.stringify(message));
      if ("members" in message) this.ids = new Set(message.members.map((m) => m.id));
      else this.#deltas.push(message);
      this.#fold();
    });
  }

  countFrames(): void {
    this.socket.io.engine.on("data", (data: string | ArrayBuffer) => {
      this.wireBytes += typeof data === "string" ? Buffer.byteLength(data) : data.byteLength;
      this.lastFrameAt = performance.now();
    });
  }

  joined(snapshot: Pick<Snapshot, "presence"> & { presenceRev?: number }): void {
    if (snapshot.presenceRev === undefined) return;
    this.ids = new Set(snapshot.presence.map((m) => m.id));
    this.#rev = snapshot.presenceRev;
    this.#fold();
  }

  #fold(): void {
    for (const d of this.#deltas.splice(0).sort((a, b) => a.rev - b.rev)) {
      if (d.rev <= this.#rev) continue;
      this.#rev = d.rev;
      for (const id of d.left) this.ids.delete(id);
      for (const m of d.joined) this.ids.add(m.id);
    }
  }
}

async function connectAll(url: string, event: "presence" | "presence:delta"): Promise<Member[]> {
  const clients = members.map((m) => new Member(io(url, { auth: { token: m.token }, transports: ["websocket"], reconnection: false, forceNew: true }), event));
  await Promise.all(clients.map((c) => new Promise<void>((resolve, reject) => (c.socket.once("connect", () => resolve()), c.socket.once("connect_error", reject)))));
  for (const c of clients) c.countFrames();
  return clients;
}

async function joinAll(clients: Member[], planId: string, mode: Mode): Promise<Figures> {
  const started = performance.now();
  const join = async (c: Member): Promise<void> => {
    const ack = (await c.socket.timeout(120_000).emitWithAck("plan:join", { planId })) as { ok: boolean; snapshot: Snapshot; error?: unknown };
    if (!ack.ok) throw new Error(`join failed: ${JSON.stringify(ack.error)}`);
    c.joined(ack.snapshot);
  };
  if (mode === "burst") await Promise.all(clients.map(join));
  else for (const c of clients) await join(c);
  // Until everyone knows everyone, then until nothing arrives any more.
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const last = Math.max(...clients.map((c) => c.lastFrameAt));
    if (clients.every((c) => c.ids.size === MEMBERS) && performance.now() - last > QUIET_MS) break;
  }
  const sum = (f: (c: Member) => number): number => clients.reduce((n, c) => n + f(c), 0);
  return { messages: sum((c) => c.presenceMessages), presenceBytes: sum((c) => c.presenceBytes), wireBytes: sum((c) => c.wireBytes), ms: Math.max(...clients.map((c) => c.lastFrameAt)) - started };
}

/** Planroom as it is now. */
async function planroomRun(mode: Mode): Promise<Figures> {
  const agentToken = "bench-agent-token-000";
  const server = await createPlanroomServer({
    host: "127.0.0.1",
    port: 0,
    store: createMemoryStore(),
    principals: [{ id: "agent", name: "Agent", roles: ["agent"], token: agentToken }, { id: "reviewer", name: "Reviewer", roles: ["reviewer"], token: "bench-reviewer-token-0" }, ...members],
    tools: { noop: () => null },
    rateLimit: { burst: 1_000_000, perSecond: 1_000_000 },
    log: silentLogger,
  });
  const agent = io(server.url, { auth: { token: agentToken }, transports: ["websocket"], forceNew: true });
  try {
    const submitted = (await agent.timeout(30_000).emitWithAck("plan:submit", { plan: { description: "presence", steps: [{ id: "s", tool: "noop" }] } })) as { ok: boolean; error?: unknown; planId?: string };
    if (!submitted.ok) throw new Error(JSON.stringify(submitted.error));
    const clients = await connectAll(server.url, "presence:delta");
    const figures = await joinAll(clients, submitted.planId as string, mode);
    for (const c of clients) c.socket.close();
    return figures;
  } finally {
    agent.close();
    await server.close();
  }
}

/** The protocol before coalesced deltas: on each join, the full member list to every member of the room. */
async function fullListRun(mode: Mode): Promise<Figures> {
  const http = createServer();
  const server = new Server(http, { perMessageDeflate: false, httpCompression: false });
  const byToken = new Map(members.map((m) => [m.token, m]));
  const room = new Map<string, PresenceMember>();
  const planId = "x".repeat(14); // as long as a Planroom plan id
  server.on("connection", (socket) => {
    const principal = byToken.get((socket.handshake.auth as { token: string }).token) as PrincipalConfig;
    socket.on("plan:join", (_payload: unknown, ack: (response: unknown) => void) => {
      void socket.join(`plan:${planId}`);
      room.set(socket.id, { id: principal.id, name: principal.name, roles: principal.roles });
      const list = [...new Map([...room.values()].map((m) => [m.id, m])).values()];
      ack({ ok: true, snapshot: { presence: list } });
      server.to(`plan:${planId}`).emit("presence", { planId, members: list });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  try {
    const clients = await connectAll(url, "presence");
    const figures = await joinAll(clients, planId, mode);
    for (const c of clients) c.socket.close();
    return figures;
  } finally {
    await server.close();
  }
}

const count = (n: number): string => Math.round(n).toLocaleString("en-US");
const mb = (n: number): string => `${(n / 1e6).toFixed(n < 1e7 ? 2 : 0)} MB`;
console.log(`presence: ${MEMBERS} members join one room (each its own principal)`);
for (const mode of ["burst", "sequential"] as const) {
  const before = await fullListRun(mode);
  const after = await planroomRun(mode);
  console.log(`\n${mode}${mode === "burst" ? " (all joins at once)" : " (each join waits for the previous ack)"}`);
  const rows: [string, string, string, string][] = [
    ["", "full list (before)", "deltas (now)", "before ÷ now"],
    ["presence messages", count(before.messages), count(after.messages), `${(before.messages / after.messages).toFixed(0)}×`],
    ["presence bytes", mb(before.presenceBytes), mb(after.presenceBytes), `${(before.presenceBytes / after.presenceBytes).toFixed(0)}×`],
    ["all bytes received", mb(before.wireBytes), mb(after.wireBytes), `${(before.wireBytes / after.wireBytes).toFixed(0)}×`],
    ["messages per member", (before.messages / MEMBERS).toFixed(1), (after.messages / MEMBERS).toFixed(1), ""],
    ["time to quiet", `${count(before.ms)} ms`, `${count(after.ms)} ms`, ""],
  ];
  for (const row of rows) console.log(row.map((c, j) => (j === 0 ? c.padEnd(22) : c.padStart(20))).join(""));
}
console.log("\n(all bytes received: every frame the members got from the first join on, the join acks with their full snapshot included)");
process.exit(0);
