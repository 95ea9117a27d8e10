/**
 * What the parts of `bench:cluster` share: the principals and configuration of its nodes, socket
 * helpers, percentiles.
 */
import { io, type Socket } from "socket.io-client";
import type { PrincipalConfig } from "../server/auth/principal-config.js";

/** The agent's token. */
export const AGENT_TOKEN = "bench-agent-token-000";

/** The token of reviewer `i` (from 1). */
export const reviewerToken = (i: number): string => `bench-reviewer-${i}-token-0000`;

/** One agent and `reviewers` reviewers (`rev-1` …). */
export function benchPrincipals(reviewers: number): PrincipalConfig[] {
  return [
    { id: "agent", name: "Agent", roles: ["agent"], token: AGENT_TOKEN },
    ...Array.from({ length: reviewers }, (_, i) => ({ id: `rev-${i + 1}`, name: `Reviewer ${i + 1}`, roles: ["reviewer" as const], token: reviewerToken(i + 1) })),
  ];
}

/** Configuration of every node: budgets far above what the bench sends. */
export const BENCH_CONFIG = {
  rateLimit: { burst: 1_000_000, perSecond: 1_000_000 },
  handshakeLimit: { burst: 100_000, perSecond: 100_000 },
  limits: { maxOpenPlansPerAgent: 10_000 },
};

/** A WebSocket-only Socket.IO client, connected. */
export async function connectSocket(url: string, token: string): Promise<Socket> {
  const socket = io(url, { auth: { token }, transports: ["websocket"], forceNew: true, reconnection: false });
  await new Promise<void>((resolve, reject) => (socket.once("connect", () => resolve()), socket.once("connect_error", reject)));
  return socket;
}

/** Emits a command and returns its answer; throws when it was refused. */
export async function ack<T>(socket: Socket, event: string, payload: unknown): Promise<T> {
  const answer = (await socket.timeout(30_000).emitWithAck(event, payload)) as { ok: boolean; error?: unknown } & T;
  if (!answer.ok) throw new Error(`${event}: ${JSON.stringify(answer.error)}`);
  return answer;
}

/** Submits a one-step plan (tool `t`, served by nobody: it stays pending until approved) and returns its id. */
export async function submitPlan(agent: Socket, description: string, quorum: number): Promise<string> {
  const plan = { description, steps: [{ id: "s1", tool: "t", description: "nothing" }] };
  const { planId } = await ack<{ planId: string }>(agent, "plan:submit", { plan, tools: ["t"], approval: { quorum, reviewers: ["reviewer"] }, autoExecute: false });
  return planId;
}

/** The `p`th percentile (0–100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
