/**
 * The `planroom` process: runs the command line on `process.argv`, sets the exit code, then makes
 * sure nothing left open keeps the process alive. The bin (`client/cli/planroom.js`) runs its
 * compiled form from `dist/`; tests run this source through tsx.
 */
import { main } from "./cli-program.js";

const code = await main(process.argv);
process.exitCode = code;
// Let pending output drain, then end even if a handle is still open.
setTimeout(() => process.exit(code), 1_000).unref();
