import { pino, type DestinationStream } from "pino";
import pretty from "pino-pretty";
import type { Logger } from "./logger.js";

/** How log lines are written: one JSON object per line, or pino-pretty's coloured lines for people. */
export const LOG_FORMATS = ["json", "pretty"] as const;
/** One of {@link LOG_FORMATS}. */
export type LogFormat = (typeof LOG_FORMATS)[number];
/** The levels a logger may be set to, quietest last (`silent` writes nothing). */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Keys whose values never reach a log line, whatever logs them: tokens (of principals, of a
 * handshake's `auth`) and `Authorization` headers, at the top and one or two levels down.
 */
const REDACTED_PATHS: readonly string[] = ["token", "*.token", "*.*.token", "authorization", "*.authorization", "headers.authorization", "*.headers.authorization", "auth.token", "*.auth.token"];

/** Options of {@link createStructuredLogger}. */
export interface StructuredLoggerOptions {
  /** Default: `pretty` when the stream is stdout and stdout is a terminal, else `json`. */
  format?: LogFormat | undefined;
  /** Default `info`. */
  level?: LogLevel | undefined;
  /** Where lines go; default stdout. */
  stream?: DestinationStream | NodeJS.WritableStream | undefined;
}

/**
 * A pino logger behind the {@link Logger} interface: `info(message, fields)` writes a line with
 * the level (`info`, …), the time (ISO 8601), the message (`msg`) and the fields as keys, with {@link REDACTED_PATHS}
 * replaced by `[redacted]`.
 */
export function createStructuredLogger(options: StructuredLoggerOptions = {}): Logger {
  const format = options.format ?? (options.stream === undefined && process.stdout.isTTY ? "pretty" : "json");
  // JSON lines are written asynchronously (a line in flight lets the next ones gather behind it
  // instead of blocking each command on a write); pino flushes what is left when the process
  // exits. Pretty lines are for a person at a terminal, written as they come.
  const stream = format === "pretty" ? pretty({ destination: options.stream ?? 1, colorize: options.stream === undefined && process.stdout.isTTY, sync: true }) : (options.stream ?? pino.destination({ dest: 1, sync: false }));
  const logger = pino(
    {
      level: options.level ?? "info",
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACTED_PATHS], censor: "[redacted]" },
    },
    stream,
  );
  return {
    info: (message, fields) => logger.info(fields ?? {}, message),
    warn: (message, fields) => logger.warn(fields ?? {}, message),
    error: (message, fields) => logger.error(fields ?? {}, message),
  };
}
