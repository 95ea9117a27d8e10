import type { CommandName, Principal } from "../../../shared/index.js";
import type { Logger } from "../../runtime/logger.js";
import type { ServerMetrics } from "../../runtime/server-metrics.js";

/** One answered command, as the dispatch saw it. */
export interface AnsweredCommand {
  principal: Principal;
  command: CommandName;
  /** The payload as it arrived (possibly invalid). */
  payload: unknown;
  /** The ack sent: `{ ok: true, … }` or `{ ok: false, error: { code, … } }`. */
  response: object;
  durationMs: number;
}

function stringKey(value: unknown, key: string): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const found = (value as Record<string, unknown>)[key];
  return typeof found === "string" && found.length <= 128 ? found : undefined;
}

/** The result code of an ack: `OK`, or its error's code. */
function resultCode(response: object): string {
  if ((response as { ok?: unknown }).ok === true) return "OK";
  return stringKey((response as { error?: unknown }).error, "code") ?? "INTERNAL";
}

/**
 * Records an answered command: counts it by name and result code with its latency, counts a
 * `RATE_LIMITED` refusal, and writes its audit line (`command <name> <code>` with the fields
 * `audit: "command"`, `principal`, `command`, `planId` when the payload or the answer names one,
 * `code` and `durationMs`), at `info`.
 */
export function commandAudit(deps: { log: Logger; metrics: ServerMetrics }, answered: AnsweredCommand): void {
  const code = resultCode(answered.response);
  const durationMs = Math.round(answered.durationMs * 1_000) / 1_000;
  deps.metrics.command(answered.command, code, answered.durationMs);
  if (code === "RATE_LIMITED") deps.metrics.rateLimited();
  const planId = stringKey(answered.payload, "planId") ?? stringKey(answered.response, "planId");
  const fields = { audit: "command", principal: answered.principal.id, command: answered.command, ...(planId !== undefined ? { planId } : {}), code, durationMs };
  deps.log.info(`command ${answered.command} ${code}`, fields);
}
