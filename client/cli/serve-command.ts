import type { Command } from "commander";
import type { CliContext } from "./cli-context.js";
import type { Runner } from "./runner.js";

interface ServeOptions {
  port?: string;
  host?: string;
  data?: string;
  store?: string;
  config?: string;
  tlsCert?: string;
  tlsKey?: string;
  publicUrl?: string;
  /** Tool module paths, as given (each may be a comma-separated list). */
  tools?: string[];
  logFormat?: string;
  logLevel?: string;
}

async function serveCommand(ctx: CliContext, options: ServeOptions): Promise<number> {
  const argv: string[] = [];
  for (const key of ["port", "host", "data", "store", "config"] as const) {
    const value = options[key];
    if (value !== undefined) argv.push(`--${key}`, value);
  }
  if (options.tlsCert !== undefined) argv.push("--tls-cert", options.tlsCert);
  if (options.tlsKey !== undefined) argv.push("--tls-key", options.tlsKey);
  if (options.publicUrl !== undefined) argv.push("--public-url", options.publicUrl);
  for (const value of options.tools ?? []) argv.push("--tools", value);
  if (options.logFormat !== undefined) argv.push("--log-format", options.logFormat);
  if (options.logLevel !== undefined) argv.push("--log-level", options.logLevel);
  // The one place where client code reaches into the server: `planroom serve` is `npm start`.
  const { serve } = (await import("../../server/app/serve.js")) as { serve: (argv: readonly string[], env: NodeJS.ProcessEnv) => Promise<unknown> };
  await serve(argv, ctx.io.env);
  // The server runs until SIGINT/SIGTERM, which end the process.
  return new Promise<number>(() => undefined);
}

/** `planroom serve`: runs a Planroom server (what `npm start` runs). */
export function registerServe(program: Command, run: Runner): void {
  program
    .command("serve")
    .description("run a Planroom server on the embedded store, or on PostgreSQL with --store (prints its URL, and development tokens when none are configured)")
    .option("--port <port>", "TCP port, 0 for any free one (PLANROOM_PORT, default 8080)")
    .option("--host <host>", "interface to listen on (PLANROOM_HOST, default 127.0.0.1)")
    .option("--data <dir>", "data directory (PLANROOM_DATA, default ./data)")
    .option("--store <url>", "run on PostgreSQL: postgres://user:password@host:5432/database (PLANROOM_DATABASE_URL; default: the embedded store in --data)")
    .option("--config <file>", "JSON configuration file with principals and tokens (PLANROOM_CONFIG)")
    .option("--public-url <url>", "the URL people open, for the printed links, e.g. behind a proxy (PLANROOM_PUBLIC_URL)")
    .option("--tls-cert <file>", "serve HTTPS/WSS with this PEM certificate (PLANROOM_TLS_CERT; needs --tls-key)")
    .option("--tls-key <file>", "the certificate's PEM private key (PLANROOM_TLS_KEY)")
    .option("--tools <paths>", "server-side tool module(s), comma-separated or repeated, e.g. examples/demo-tools.ts (PLANROOM_TOOLS)", (value: string, previous: string[] | undefined) => [...(previous ?? []), value])
    .option("--log-format <format>", "log lines as json or pretty (default: pretty on a terminal, else json)")
    .option("--log-level <level>", "least severe level logged: trace, debug, info, warn, error, fatal or silent (default info)")
    .action(run(serveCommand));
}
