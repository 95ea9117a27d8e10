/** The socket calls of `bench:history` and of its observer process: connect as a fixture principal, call a command. */
import { io, type Socket } from "socket.io-client";
import { HISTORY_PRINCIPALS } from "./history-fixture.js";

const token = (id: string): string => HISTORY_PRINCIPALS.find((p) => p.id === id)!.token;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** How long a `RATE_LIMITED` answer says to wait ("try again in 340 ms" / "in 3 s"). */
function retryAfterMs(message: string): number {
  const match = /try again in (\d+) (ms|s)\b/.exec(message);
  if (!match) return 100;
  return Number(match[1]) * (match[2] === "s" ? 1_000 : 1);
}

/**
 * One command, answered `ok`; a `RATE_LIMITED` answer waits as long as it says and retries (the
 * refused call is not timed). Resolves with the answer and the latency of the call that went through.
 */
export async function call<T>(socket: Socket, event: string, payload: unknown): Promise<{ answer: T; ms: number }> {
  for (;;) {
    const start = performance.now();
    const answer = (await socket.timeout(60_000).emitWithAck(event, payload)) as { ok: boolean; error?: { code: string; message: string } } & T;
    const ms = performance.now() - start;
    if (answer.ok) return { answer, ms };
    if (answer.error?.code !== "RATE_LIMITED") throw new Error(`${event}: ${JSON.stringify(answer.error)}`);
    await sleep(retryAfterMs(answer.error.message));
  }
}

/** A socket connected as the fixture principal `id`. */
export function connect(url: string, id: string): Promise<Socket> {
  const socket = io(url, { auth: { token: token(id) }, transports: ["websocket"], forceNew: true, reconnection: false });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}
