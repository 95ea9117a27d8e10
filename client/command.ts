import type { Socket } from "socket.io-client";
import {
  COMMANDS,
  ERROR_CODES,
  inputError,
  parseInput,
  PlanroomError,
  type Ack,
  type ClientToServerEvents,
  type CommandInput,
  type CommandName,
  type CommandResult,
  type ErrorCode,
  type ServerToClientEvents,
} from "../shared/index.js";

/** A Socket.IO client socket typed by the shared event maps. */
export type PlanroomSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * Checks a command's payload against its shared schema before it goes on the wire, so that a
 * mistake is reported at once, with the JSON path of each problem, as a `VALIDATION` error.
 */
export function checkCommandInput<C extends CommandName>(name: C, payload: CommandInput<C>): void {
  const schema = COMMANDS[name]?.input;
  if (!schema) throw new PlanroomError("VALIDATION", `unknown command "${String(name)}"`);
  const parsed = parseInput(schema, payload);
  if (!parsed.success) throw inputError(`${name} payload`, parsed.issues);
}

/** Turns an ack into the command's result, or throws the `PlanroomError` it carries. */
export function unwrapAck<C extends CommandName>(name: C, response: unknown): CommandResult<C> {
  if (typeof response !== "object" || response === null || !("ok" in response)) {
    throw new PlanroomError("INTERNAL", `${name}: the server sent a malformed acknowledgement`);
  }
  const ack = response as Ack<CommandResult<C>>;
  if (ack.ok) {
    const { ok: _ok, ...result } = ack;
    return result as unknown as CommandResult<C>;
  }
  const error = ack.error ?? { code: "INTERNAL", message: "unknown error" };
  const code: ErrorCode = (ERROR_CODES as readonly string[]).includes(error.code) ? error.code : "INTERNAL";
  throw new PlanroomError(code, error.message, error.issues);
}

/**
 * Sends one command and waits for its ack, at most `timeoutMs` (`socket.timeout().emitWithAck()`,
 * the only form that settles when the other side is gone). Resolves with the result; rejects with
 * the server's `PlanroomError`, or a `TIMEOUT` one.
 */
export async function emitCommand<C extends CommandName>(socket: PlanroomSocket, name: C, payload: CommandInput<C>, timeoutMs: number): Promise<CommandResult<C>> {
  let response: unknown;
  try {
    const emitter = socket.timeout(timeoutMs) as unknown as { emitWithAck(event: string, ...args: unknown[]): Promise<unknown> };
    response = await emitter.emitWithAck(name, payload);
  } catch {
    throw new PlanroomError("TIMEOUT", `${name}: no answer from the server within ${timeoutMs} ms`);
  }
  return unwrapAck(name, response);
}
