import { Command } from "commander";
import { pathToFileURL } from "node:url";
import { PlanroomError, reviewLink } from "../../shared/index.js";
import { linkBase } from "./link-base.js";
import { loadConfig, splitList, type ServerConfig } from "./config.js";
import { createPlanroomServer, type PlanroomServer, type PlanroomServerOptions } from "./create-server.js";
import { gracefulStop, SHUTDOWN_FLUSH_MS } from "./graceful-stop.js";
import { maskStoreUrl } from "./store-url.js";
import type { Logger } from "../runtime/logger.js";
import { createStructuredLogger } from "../runtime/structured-logger.js";

/** The line printed once the server listens; tools and tests read the URL from it. */
export const LISTENING_PREFIX = "planroom listening on ";

/** Prints a start-up line as it is on stdout, never through the logger (scripts read these lines; tokens must not reach log files). */
function print(line: string): void {
  console.log(line);
}

/**
 * Starts a server from a validated configuration, prints `planroom listening on <url>`, its server
 * tools (one line) and the generated development tokens, if any, plainly on stdout, logs through
 * `log` (default: the structured logger of `logFormat` and `logLevel`), and stops gracefully on SIGINT/SIGTERM
 * (exiting 1 if that takes longer than `shutdownGraceMs` + {@link SHUTDOWN_FLUSH_MS}).
 */
export async function startFromConfig(config: ServerConfig, extra: Omit<PlanroomServerOptions, Exclude<keyof ServerConfig, "store">> = {}, log: Logger = createStructuredLogger({ format: config.logFormat, level: config.logLevel })): Promise<PlanroomServer> {
  const server = await createPlanroomServer({ ...config, log, ...extra });
  // Handle signals before saying the server is ready: a supervisor may signal it at once.
  const stop = gracefulStop({ close: () => server.close(), deadlineMs: config.shutdownGraceMs + SHUTDOWN_FLUSH_MS, log, exit: (code) => process.exit(code) });
  const onSigint = (): void => stop("SIGINT");
  const onSigterm = (): void => stop("SIGTERM");
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigterm);
  print(`${LISTENING_PREFIX}${server.url}`);
  const base = linkBase(server.url, config.publicUrl);
  print(`dashboard: ${base}/`);
  // The file store's directory, or the database without its password.
  const storeUrl = typeof extra.store === "string" ? extra.store : extra.store === undefined ? config.store : undefined;
  if (storeUrl !== undefined) print(`store: PostgreSQL at ${maskStoreUrl(storeUrl)}`);
  else if (extra.store === undefined) print(`data directory: ${config.dataDir}`);
  print(`node: ${server.nodeId}`);
  print(server.toolNames.length > 0 ? `server tools: ${server.toolNames.join(", ")}` : "server tools: none (plans can only use tools their agent serves; see --tools)");
  if (server.metricsUrl !== undefined) print(`metrics (no token needed): ${server.metricsUrl}`);
  if (server.devPrincipals.length > 0) {
    print(`no principals configured: using the development set stored in the ${storeUrl !== undefined ? "database" : "data directory"}:`);
    for (const p of server.devPrincipals) print(`  ${p.id.padEnd(12)} ${p.roles.join(",").padEnd(10)} token ${p.token}  ${reviewLink({ serverUrl: base, token: p.token })}`);
  }
  // Closed otherwise (by a library user), the server leaves no signal handlers behind.
  return {
    ...server,
    close: () => {
      process.off("SIGINT", onSigint);
      process.off("SIGTERM", onSigterm);
      return server.close();
    },
  };
}

/** The `serve` command line: `--host`, `--port`, `--data`, `--store`, `--public-url`, `--config`, `--tools`, `--tls-cert`, `--tls-key`, `--log-format`, `--log-level` (and `PLANROOM_*` variables). */
export async function serve(argv: readonly string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): Promise<PlanroomServer> {
  const program = new Command("planroom-serve")
    .description("Start a Planroom server on the embedded store, or on PostgreSQL with --store")
    .option("--host <host>", "interface to listen on (PLANROOM_HOST, default 127.0.0.1)")
    .option("--port <port>", "TCP port, 0 for any free one (PLANROOM_PORT, default 8080)")
    .option("--data <dir>", "data directory (PLANROOM_DATA, default ./data)")
    .option("--store <url>", "run on PostgreSQL: postgres://user:password@host:5432/database (PLANROOM_DATABASE_URL; default: the embedded store in --data)")
    .option("--public-url <url>", "the URL people open, for the printed links, e.g. behind a proxy (PLANROOM_PUBLIC_URL)")
    .option("--config <file>", "JSON configuration file (PLANROOM_CONFIG)")
    .option("--tls-cert <file>", "serve HTTPS/WSS with this PEM certificate (PLANROOM_TLS_CERT; needs --tls-key)")
    .option("--tls-key <file>", "the certificate's PEM private key (PLANROOM_TLS_KEY)")
    .option("--tools <paths>", "server-side tool module(s), comma-separated or repeated (PLANROOM_TOOLS)", (value: string, previous: string[] | undefined) => [...(previous ?? []), ...splitList(value)])
    .option("--log-format <format>", "log lines as json or pretty (default: pretty on a terminal, else json)")
    .option("--log-level <level>", "least severe level logged: trace, debug, info, warn, error, fatal or silent (default info)")
    .exitOverride();
  program.parse([...argv], { from: "user" });
  const config = await loadConfig({ flags: program.opts(), env });
  return startFromConfig(config);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  serve().catch((error: unknown) => {
    if (error instanceof PlanroomError) {
      console.error(`planroom: ${error.message}`);
      // A bad configuration (a store URL that is not PostgreSQL's, say) is a usage error, as in the CLI.
      process.exit(error.code === "VALIDATION" ? 2 : 1);
    }
    // Commander has printed the help or the usage error already: `--help` is a success.
    else if (error && typeof error === "object" && "code" in error && String(error.code).startsWith("commander.")) process.exit(error.code === "commander.helpDisplayed" ? 0 : 1);
    else console.error(`planroom: cannot start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
