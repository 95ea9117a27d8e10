import pc from "picocolors";
import { PlanroomError, terminalSafeJson, terminalSafeLine, terminalSafeText, type Issue } from "../../shared/index.js";
import { connect, type PlanroomClient } from "../planroom-client.js";
import { checkServerUrl } from "../server-url.js";
import type { CliIO } from "./cli-io.js";
import { exitCodeForError } from "./exit-codes.js";

/** The server URL used when neither `--url` nor `PLANROOM_URL` is given (the server's default address). */
export const DEFAULT_URL = "http://127.0.0.1:8080";

/** The options every command accepts. */
export interface GlobalOptions {
  url?: string;
  token?: string;
  json?: boolean;
  timeout?: string;
}

/** Colour functions (identity when colours are off). */
export type Colors = ReturnType<typeof pc.createColors>;

/** Formats an issue path as JSON readers write it: `steps[1].dependsOn[0]`. */
export function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return "(root)";
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

/**
 * What a command runs with: the resolved server URL and token (flags, then `PLANROOM_URL` /
 * `PLANROOM_TOKEN`), output mode, colours, and a lazily opened client that is closed at the end.
 */
export class CliContext {
  readonly url: string;
  readonly json: boolean;
  readonly timeoutMs: number;
  readonly io: CliIO;
  readonly c: Colors;
  readonly #token: string | undefined;
  #client: PlanroomClient | undefined;

  constructor(options: GlobalOptions, io: CliIO) {
    this.io = io;
    this.url = (options.url ?? io.env.PLANROOM_URL ?? DEFAULT_URL).replace(/\/+$/, "");
    this.#token = options.token ?? io.env.PLANROOM_TOKEN;
    this.json = options.json === true;
    const timeout = options.timeout === undefined ? 10_000 : Number(options.timeout);
    if (!Number.isInteger(timeout) || timeout < 1) throw new PlanroomError("VALIDATION", `--timeout must be a positive number of milliseconds, not "${options.timeout}"`);
    this.timeoutMs = timeout;
    this.c = pc.createColors(io.isTTY && !this.json);
  }

  /** The token; a usage error when none is given. */
  get token(): string {
    if (!this.#token) throw new PlanroomError("VALIDATION", "no token: pass --token or set PLANROOM_TOKEN");
    return this.#token;
  }

  /** The client, connected on first use; a URL that is not `http://` or `https://` is a `VALIDATION` error before anything is sent. */
  client(): PlanroomClient {
    this.#client ??= connect(checkServerUrl(this.url), { token: this.token, commandTimeoutMs: this.timeoutMs });
    return this.#client;
  }

  /** Closes the client, if one was opened. */
  close(): void {
    this.#client?.close();
    this.#client = undefined;
  }

  /** Prints a line (human output only). */
  say(text: string): void {
    if (!this.json) this.io.out(text);
  }

  /** Prints a value as JSON (`--json` output), terminal-safe (see `terminalSafeJson`). */
  printJson(value: unknown): void {
    this.io.out(terminalSafeJson(value, 2));
  }

  /** Reports an error (with each issue's path; terminal-safe) and returns the exit code it maps to. */
  fail(error: unknown): number {
    const code = exitCodeForError(error);
    if (this.json) {
      const body = error instanceof PlanroomError ? error.toJSON() : { code: "INTERNAL", message: error instanceof Error ? error.message : String(error) };
      this.io.err(terminalSafeJson({ error: body }));
      return code;
    }
    // The message may span lines (a configuration error lists its problems); each issue is one line.
    const message = terminalSafeText(error instanceof Error ? error.message : String(error));
    const label = error instanceof PlanroomError ? `${error.code}: ` : "";
    this.io.err(`${this.c.red("error")} ${label}${message}`);
    const issues: Issue[] = error instanceof PlanroomError ? (error.issues ?? []) : [];
    for (const issue of issues) this.io.err(`  at ${terminalSafeLine(formatPath(issue.path))}: ${terminalSafeLine(issue.message)}`);
    return code;
  }
}
