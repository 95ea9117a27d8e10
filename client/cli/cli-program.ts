import { Command, CommanderError, type OutputConfiguration } from "commander";
import { PlanroomError } from "../../shared/index.js";
import { registerCancel } from "./cancel-command.js";
import { protectDashOperands } from "./dash-operands.js";
import { CliContext, DEFAULT_URL, type GlobalOptions } from "./cli-context.js";
import { processIO, type CliIO } from "./cli-io.js";
import { EXIT, EXIT_CODES_HELP } from "./exit-codes.js";
import { registerList } from "./list-command.js";
import { registerMigrate } from "./migrate-command.js";
import { registerRevise } from "./revise-command.js";
import { registerRuns } from "./run-commands.js";
import type { Runner } from "./runner.js";
import { registerServe } from "./serve-command.js";
import { registerShow } from "./show-command.js";
import { registerSubmit } from "./submit-command.js";
import { registerVotes } from "./vote-commands.js";
import { registerWatch } from "./watch-command.js";

const ENVIRONMENT_HELP = `Environment:
  PLANROOM_URL    server URL (default ${DEFAULT_URL}); --url wins
  PLANROOM_TOKEN  bearer token; --token wins`;

/** Builds the `planroom` program; every command's exit code is reported through `setExit`. */
export function buildProgram(io: CliIO, setExit: (code: number) => void): Command {
  const program = new Command("planroom")
    .description("Planroom: submit execution plans, review and approve them together, watch them run.")
    .option("-u, --url <url>", "server URL (PLANROOM_URL)")
    .option("-t, --token <token>", "bearer token (PLANROOM_TOKEN)")
    .option("--json", "machine-readable JSON output (errors as JSON on stderr)")
    .option("--timeout <ms>", "how long to wait for the server per command (default 10000)")
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText("after", `\n${ENVIRONMENT_HELP}\n\n${EXIT_CODES_HELP}`)
    .exitOverride();
  const json = (): boolean => program.opts<GlobalOptions>().json === true;
  // Commander's own errors (usage) go through the same writer as every other error: with
  // --json, one `{"error":…}` line on stderr and nothing else (no help text).
  const output: OutputConfiguration = {
    writeOut: (s) => io.out(s.replace(/\n$/, "")),
    writeErr: (s) => {
      if (!json()) io.err(s.replace(/\n$/, ""));
    },
    outputError: (s, write) => {
      if (json()) new CliContext({ json: true }, io).fail(new PlanroomError("VALIDATION", s.trim().replace(/^error: /, "")));
      else write(s);
    },
  };
  program.configureOutput(output);

  const run: Runner = (body) => async (...args) => {
    const command = args.at(-1) as Command;
    const options = command.optsWithGlobals<GlobalOptions>();
    let ctx: CliContext | undefined;
    try {
      ctx = new CliContext(options, io);
      const call = body as (ctx: CliContext, ...rest: unknown[]) => Promise<number>;
      setExit(await call(ctx, ...(args.slice(0, -1) as unknown[])));
    } catch (error) {
      // A context that could not be built (a bad --timeout) still reports in the requested format.
      setExit((ctx ?? new CliContext({ json: options.json === true }, io)).fail(error));
    } finally {
      ctx?.close();
    }
  };

  registerServe(program, run);
  registerMigrate(program, run);
  registerSubmit(program, run);
  registerList(program, run);
  registerShow(program, run);
  registerVotes(program, run);
  registerRevise(program, run);
  registerRuns(program, run);
  registerCancel(program, run);
  registerWatch(program, run);
  for (const command of program.commands) {
    command.exitOverride().addHelpText("after", `\n${EXIT_CODES_HELP}`);
    command.configureOutput(output);
  }
  return program;
}

/** Runs `planroom` with `argv` (as `process.argv`: node, script, then arguments); resolves with the exit code. */
export async function main(argv: readonly string[] = process.argv, io: CliIO = processIO()): Promise<number> {
  let code: number = EXIT.OK;
  const program = buildProgram(io, (c) => (code = c));
  if (argv.length <= 2) {
    program.outputHelp();
    return EXIT.USAGE;
  }
  try {
    await program.parseAsync(protectDashOperands(argv, program));
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return EXIT.OK;
      if (error.code === "commander.help" && error.exitCode === 0) return EXIT.OK;
      if (error.code === "commander.help") {
        // Help shown instead of a missing command: a usage error (the help went to stderr, or nowhere with --json).
        if (program.opts<GlobalOptions>().json === true) new CliContext({ json: true }, io).fail(new PlanroomError("VALIDATION", "no command given (run with --help for usage)"));
      }
      return EXIT.USAGE;
    }
    throw error;
  }
  return code;
}
