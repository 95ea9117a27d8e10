import type { CliContext } from "./cli-context.js";

/**
 * Wraps a command's body for commander: builds the context from the global options, runs the
 * body, reports errors, closes the client, and records the exit code.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Runner = <A extends any[]>(body: (ctx: CliContext, ...args: A) => Promise<number>) => (...args: any[]) => Promise<void>;
