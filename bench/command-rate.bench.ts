/**
 * `npm run bench:commands`: what the per-principal rate budget costs a command. Two parts, each
 * with its baseline in the same run:
 *
 * - **dispatch**: `session:whoami` commands straight into `attachDispatch` (a stand-in socket, no
 *   network, no audit output), `COMMANDS_DISPATCH` of them per round with 256 outstanding, through
 *   three budgets: none (a budget that always answers yes at once: the floor), the old per-socket
 *   token bucket (`rate-limit.ts`) behind the same interface, and the per-principal
 *   `memoryRateBudget` (rate-limiter-flexible) the server uses now;
 * - **end to end**: a Planroom server in this process, `COMMANDS_SOCKETS` Socket.IO clients of one
 *   principal each keeping 32 `session:whoami` in flight, `COMMANDS_E2E` commands per round, with an
 *   injected unlimited budget against the default memory one.
 *
 * Every budget is large enough never to refuse: the figures are the cost of asking. Rounds
 * alternate between the contenders (`COMMANDS_ROUNDS`, default 5) after a warm-up; the table shows
 * the best round of each and its ratio to the floor of its part.
 */
import { io, type Socket } from "socket.io-client";
import type { Principal } from "../shared/index.js";
import { createPlanroomServer } from "../server/app/create-server.js";
import { silentLogger } from "../server/runtime/logger.js";
import { createMemoryStore } from "../server/store/memory-store.js";
import { memoryRateBudget, type RateBudget, type RateVerdict } from "../server/transport/rate-budget.js";
import type { CommandHandlers } from "../server/transport/socket/commands/command-handler.js";
import { attachDispatch } from "../server/transport/socket/dispatch.js";
import type { PlanroomSocket } from "../server/transport/socket/planroom-io.js";
import { RateLimiter } from "../server/transport/socket/rate-limit.js";

const ROUNDS = Number(process.env.COMMANDS_ROUNDS ?? 5);
const DISPATCH_COMMANDS = Number(process.env.COMMANDS_DISPATCH ?? 200_000);
const E2E_COMMANDS = Number(process.env.COMMANDS_E2E ?? 40_000);
const SOCKETS = Number(process.env.COMMANDS_SOCKETS ?? 10);
const OUTSTANDING = 256;
const PER_SOCKET_IN_FLIGHT = 32;
/** A budget that never runs out within a run. */
const HUGE = { burst: 1_000_000_000, perSecond: 1_000_000_000 };

const GO_ON: RateVerdict = { ok: true };
const granted = Promise.resolve(GO_ON);
const unlimited: RateBudget = { consume: () => granted };
/** The previous limit: one token bucket per socket, asked synchronously, behind the same interface. */
function oldBucket(): RateBudget {
  const bucket = new RateLimiter(HUGE.burst, HUGE.perSecond);
  return { consume: () => (bucket.take() ? granted : Promise.resolve({ ok: false, retryAfterMs: bucket.retryAfterMs() })) };
}

const principal: Principal = { id: "bench-agent", name: "Bench Agent", roles: ["agent"] };

/** Commands/s of `total` whoamis through a dispatch on a stand-in socket with `budget`. */
async function dispatchRound(budget: RateBudget, total: number): Promise<number> {
  const listeners = new Map<string, (...args: unknown[]) => void>();
  const socket = { on: (name: string, fn: (...args: unknown[]) => void) => listeners.set(name, fn) } as unknown as PlanroomSocket;
  const handlers = { "session:whoami": () => ({ principal, voterRoles: ["reviewer"] }) } as unknown as CommandHandlers;
  attachDispatch(socket, principal, { handlers, budget, log: silentLogger });
  const whoami = listeners.get("session:whoami") as (...args: unknown[]) => void;
  let sent = 0;
  let answered = 0;
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const ack = (): void => {
      answered++;
      if (answered === total) return resolve();
      if (sent < total) {
        sent++;
        whoami({}, ack);
      }
    };
    for (; sent < Math.min(OUTSTANDING, total); ) {
      sent++;
      whoami({}, ack);
    }
  });
  return total / ((performance.now() - started) / 1_000);
}

/** Commands/s of `total` whoamis over `sockets`, each keeping {@link PER_SOCKET_IN_FLIGHT} in flight. */
async function socketRound(sockets: Socket[], total: number): Promise<number> {
  let sent = 0;
  const started = performance.now();
  await Promise.all(
    sockets.map(async (socket) => {
      const lane = async (): Promise<void> => {
        while (sent < total) {
          sent++;
          const answer = (await socket.emitWithAck("session:whoami", {})) as { ok: boolean; error?: { code: string } };
          if (!answer.ok) throw new Error(`whoami refused: ${answer.error?.code}`);
        }
      };
      await Promise.all(Array.from({ length: PER_SOCKET_IN_FLIGHT }, lane));
    }),
  );
  return total / ((performance.now() - started) / 1_000);
}

async function endToEnd(name: string, options: Parameters<typeof createPlanroomServer>[0]): Promise<{ name: string; round: (total: number) => Promise<number>; close: () => Promise<void> }> {
  const token = `bench-agent-token-${name.replace(/\W/g, "")}`;
  const server = await createPlanroomServer({ host: "127.0.0.1", port: 0, principals: [{ ...principal, token }], store: createMemoryStore(), log: silentLogger, webDir: "/nonexistent", logLevel: "warn", ...options });
  const sockets = await Promise.all(
    Array.from({ length: SOCKETS }, () => {
      const socket = io(server.url, { auth: { token }, transports: ["websocket"], reconnection: false, forceNew: true });
      return new Promise<Socket>((resolve, reject) => {
        socket.once("connect", () => resolve(socket));
        socket.once("connect_error", reject);
      });
    }),
  );
  return {
    name,
    round: (total) => socketRound(sockets, total),
    close: async () => {
      for (const s of sockets) s.close();
      await server.close();
    },
  };
}

function best(rates: number[]): number {
  return Math.max(...rates);
}
function median(rates: number[]): number {
  const sorted = [...rates].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}
const perSecond = (n: number): string => `${Math.round(n).toLocaleString("en-US")}/s`;

async function main(): Promise<void> {
  console.log(`command rate: ${ROUNDS} rounds; dispatch ${DISPATCH_COMMANDS.toLocaleString("en-US")} commands per round, end to end ${E2E_COMMANDS.toLocaleString("en-US")} over ${SOCKETS} sockets of one principal`);

  const principalBudget = memoryRateBudget(HUGE);
  const dispatchContenders: { name: string; budget: () => RateBudget }[] = [
    { name: "no budget (floor)", budget: () => unlimited },
    { name: "old per-socket token bucket", budget: oldBucket },
    { name: "per-principal memoryRateBudget", budget: () => principalBudget },
  ];
  for (const c of dispatchContenders) await dispatchRound(c.budget(), Math.min(20_000, DISPATCH_COMMANDS));
  const dispatchRates = dispatchContenders.map(() => [] as number[]);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, c] of dispatchContenders.entries()) dispatchRates[i]?.push(await dispatchRound(c.budget(), DISPATCH_COMMANDS));
  }

  const e2e = [await endToEnd("unlimited", { rateBudgets: { principals: unlimited, addresses: unlimited } }), await endToEnd("memory", { rateLimit: HUGE })];
  for (const c of e2e) await c.round(Math.min(5_000, E2E_COMMANDS));
  const e2eRates = e2e.map(() => [] as number[]);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, c] of e2e.entries()) e2eRates[i]?.push(await c.round(E2E_COMMANDS));
  }
  for (const c of e2e) await c.close();

  const rows: string[][] = [];
  const floorDispatch = best(dispatchRates[0] ?? []);
  for (const [i, c] of dispatchContenders.entries()) {
    const rates = dispatchRates[i] ?? [];
    rows.push(["dispatch", c.name, perSecond(best(rates)), perSecond(median(rates)), (best(rates) / floorDispatch).toFixed(2)]);
  }
  const floorE2e = best(e2eRates[0] ?? []);
  for (const [i, c] of e2e.entries()) {
    const rates = e2eRates[i] ?? [];
    rows.push(["end to end", c.name === "unlimited" ? "injected unlimited budget (floor)" : "per-principal memoryRateBudget", perSecond(best(rates)), perSecond(median(rates)), (best(rates) / floorE2e).toFixed(2)]);
  }
  console.log("| part | budget | best | median | best ÷ floor |");
  console.log("| --- | --- | ---: | ---: | ---: |");
  for (const row of rows) console.log(`| ${row.join(" | ")} |`);
}

await main();
