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

let pipesGuarded = false;

/**
 * Makes a closed pipe end the process quietly, as Unix tools do: `planroom show ID | head -3`
 * closes standard output early, and the next write fails with `EPIPE`, which would otherwise be
 * an unhandled error with a stack trace. Exit 0: the reader had what it wanted. Any other stream
 * error is rethrown.
 */
function guardPipes(): void {
  if (pipesGuarded) return;
  pipesGuarded = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(0);
      throw error;
    });
  }
}

/** The process's own streams and environment (a closed pipe ends the process quietly). */
export function processIO(): CliIO {
  guardPipes();
  return {
    out: (text) => void process.stdout.write(`${text}\n`),
    err: (text) => void process.stderr.write(`${text}\n`),
    env: process.env,
    isTTY: Boolean(process.stdout.isTTY) && process.env.NO_COLOR === undefined,
  };
}
