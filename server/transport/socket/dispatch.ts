import { COMMAND_NAMES, COMMANDS, inputError, parseInput, PlanroomError, type CommandName, type Principal } from "../../../shared/index.js";
import type { Logger } from "../../runtime/logger.js";
import { noMetrics, type ServerMetrics } from "../../runtime/server-metrics.js";
import { commandAudit } from "./command-audit.js";
import { toWireError } from "../wire-error.js";
import type { CommandHandler, CommandHandlers } from "./commands/command-handler.js";
import type { PlanroomSocket } from "./planroom-io.js";
import { principalBudgetKey, retryText, type RateBudget } from "../rate-budget.js";

const ALLOWED: ReadonlyMap<string, CommandName> = new Map(COMMAND_NAMES.map((n) => [n, n]));

/** Settings of the dispatch. */
export interface DispatchOptions {
  handlers: CommandHandlers;
  /** The principals' budget: every command takes one unit of its principal's (`principal:<id>`), shared by all its sockets and its HTTP requests. */
  budget: RateBudget;
  log: Logger;
  /** Counts each answered command (name, result code, latency) and `RATE_LIMITED` refusals. */
  metrics?: ServerMetrics;
}

/**
 * Wires one socket to the commands: the one path every client event takes. Only allow-listed
 * names get a listener (anything else, `error` included, is ignored); a command without an ack
 * callback is dropped before it can change anything; then the principal's rate budget, zod validation, the
 * handler (authorisation is its first step) inside a try/catch, and one ack of the shape
 * `{ ok: true, ...result }` or `{ ok: false, error: { code, message, issues? } }`. Each answer is
 * counted and gets its audit line (see `commandAudit`).
 */
export function attachDispatch(socket: PlanroomSocket, principal: Principal, options: DispatchOptions): void {
  const budgetKey = principalBudgetKey(principal.id);
  // Socket.IO would throw on an incoming `error` event without a listener.
  socket.on("error", () => {});
  for (const name of ALLOWED.values()) {
    socket.on(name, (...args: unknown[]) => {
      void run(name, args);
    });
  }

  async function run(name: CommandName, args: unknown[]): Promise<void> {
    const last = args[args.length - 1];
    if (typeof last !== "function") return;
    const ack = last as (response: unknown) => void;
    const started = performance.now();
    let answered = false;
    const reply = (response: object): void => {
      if (answered) return;
      answered = true;
      const durationMs = performance.now() - started;
      try {
        ack(response);
      } catch (error) {
        options.log.warn(`${name}: ack failed: ${String(error)}`);
      }
      // After the ack: a logger or metrics backend that throws must not cost the client its answer.
      try {
        commandAudit({ log: options.log, metrics: options.metrics ?? noMetrics }, { principal, command: name, payload: args.length > 1 ? args[0] : undefined, response, durationMs });
      } catch (error) {
        process.emitWarning(`planroom: the audit of ${name} failed: ${String(error)}`);
      }
    };
    const fail = (error: unknown): void => reply({ ok: false, error: toWireError(error, options.log, name) });
    try {
      const verdict = await options.budget.consume(budgetKey);
      if (!verdict.ok) throw new PlanroomError("RATE_LIMITED", `too many requests from ${principal.id} (commands of all its sockets and its HTTP requests count together): ${retryText(verdict.retryAfterMs)}`);
      const payload = args.length > 1 ? args[0] : {};
      const parsed = parseInput(COMMANDS[name].input, payload ?? {});
      if (!parsed.success) throw inputError(`${name} payload`, parsed.issues);
      const handler = options.handlers[name] as CommandHandler<CommandName>;
      const ctx = { principal, socket, respond: (result: object) => reply({ ok: true, ...result }) };
      // TypeScript cannot tie `name` to its payload across the union, so the cast is needed (tsc fails without it); the rule's checker wrongly calls it unnecessary.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
      const result = await handler(ctx, parsed.data as never);
      reply({ ok: true, ...(result ?? {}) });
    } catch (error) {
      fail(error);
    }
  }
}
