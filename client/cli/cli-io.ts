/** Where the command line writes, and what it reads from its environment (injectable for tests). */
export interface CliIO {
  /** Writes one line (or several) to standard output. */
  out(text: string): void;
  /** Writes one line (or several) to standard error. */
  err(text: string): void;
  env: Record<string, string | undefined>;
  /** Whether standard output is a terminal (colours, symbols). */
  isTTY: boolean;
}

/** The process's own streams and environment. */
export function processIO(): CliIO {
  return {
    out: (text) => void process.stdout.write(`${text}\n`),
    err: (text) => void process.stderr.write(`${text}\n`),
    env: process.env,
    isTTY: Boolean(process.stdout.isTTY) && process.env.NO_COLOR === undefined,
  };
}
