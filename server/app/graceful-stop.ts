import type { Logger } from "../runtime/logger.js";

/**
 * Time a shutdown gets beyond `shutdownGraceMs` (which bounds the wait for running steps) to flush
 * the store and close the sockets before the process gives up on it.
 */
export const SHUTDOWN_FLUSH_MS = 5_000;

/** What {@link gracefulStop} needs. */
export interface GracefulStopOptions {
  /** Closes the server (the graceful part). */
  close: () => Promise<void>;
  /** The hard deadline, from the first signal: past it, the process exits with code 1. */
  deadlineMs: number;
  log: Logger;
  /** Ends the process (`process.exit`; a test passes its own). */
  exit: (code: number) => void;
}

/**
 * Returns the signal handler of a serving process: the first call closes the server and exits 0
 * once that finished (1 if it failed); later calls only log, so a second Ctrl-C (a terminal and
 * npm both deliver one) does not cut the shutdown short. If the close has not finished within
 * `deadlineMs`, it logs so and exits 1 at once.
 */
export function gracefulStop(options: GracefulStopOptions): (signal: string) => void {
  const { close, deadlineMs, log, exit } = options;
  let stopping = false;
  return (signal) => {
    if (stopping) {
      log.info(`${signal}: already shutting down (at most ${deadlineMs} ms in all)`);
      return;
    }
    stopping = true;
    log.info(`${signal}: shutting down`);
    const deadline = setTimeout(() => {
      log.error(`shutdown did not finish within ${deadlineMs} ms (shutdownGraceMs + ${SHUTDOWN_FLUSH_MS} ms): exiting without it`);
      exit(1);
    }, deadlineMs);
    deadline.unref();
    close().then(
      () => {
        clearTimeout(deadline);
        exit(0);
      },
      (error: unknown) => {
        clearTimeout(deadline);
        log.error(`shutdown failed: ${String(error)}`);
        exit(1);
      },
    );
  };
}
