/** Structured fields of a log line (an audit line's principal, command, plan id, result code, …). */
export type LogFields = Record<string, unknown>;

/**
 * Where the server reports what happens: the structured logger of `structured-logger.ts` by
 * default, `silentLogger` in tests. Every method takes a message and, optionally, fields that a
 * structured logger writes as their own keys (a plain one appends them as JSON).
 */
export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** A logger that drops everything. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

function line(message: string, fields: LogFields | undefined): string {
  return fields === undefined ? message : `${message} ${JSON.stringify(fields)}`;
}

/** A plain logger: info to stdout, warnings and errors to stderr; fields follow the message as JSON. */
export const consoleLogger: Logger = {
  info: (m, f) => console.log(line(m, f)),
  warn: (m, f) => console.warn(line(m, f)),
  error: (m, f) => console.error(line(m, f)),
};
