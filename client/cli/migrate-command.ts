import type { Command } from "commander";
import type { CliContext } from "./cli-context.js";
import type { Runner } from "./runner.js";

interface MigrateOptions {
  store?: string;
  config?: string;
}

async function migrateCommand(ctx: CliContext, options: MigrateOptions): Promise<number> {
  // The server's migration runner is loaded only by this command, as `planroom serve` loads the server.
  const { migrateStore } = await import("../../server/app/migrate-store.js");
  const result = await migrateStore({ store: options.store, config: options.config, env: ctx.io.env });
  if (ctx.json) ctx.printJson(result);
  else if (result.applied.length === 0) ctx.say(`no migrations to apply (${result.store} is up to date)`);
  else ctx.say(`applied migrations ${result.applied[0]} to ${result.applied.at(-1)} (${result.store})`);
  return 0;
}

/** `planroom migrate`: brings a PostgreSQL store's schema up to date (a node also does it when it starts). */
export function registerMigrate(program: Command, run: Runner): void {
  program
    .command("migrate")
    .description("apply the PostgreSQL store's schema migrations (a node also applies them when it starts); prints what it applied")
    .option("--store <url>", "the database: postgres://user:password@host:5432/database (else PLANROOM_DATABASE_URL, else store in the --config file)")
    .option("--config <file>", "JSON configuration file whose store is used when neither --store nor PLANROOM_DATABASE_URL is given (PLANROOM_CONFIG)")
    .addHelpText("after", "\nExit 2 when no store is given or it is not a postgres:// (postgresql://) URL, 3 when the database cannot be reached.")
    .action(run(migrateCommand));
}
