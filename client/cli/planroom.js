#!/usr/bin/env node
// The `planroom` command: runs the TypeScript sources through tsx, so no build step is needed.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./cli-program.ts");
const code = await main(process.argv);
process.exitCode = code;
// Let pending output drain, then make sure nothing left open keeps the process alive.
setTimeout(() => process.exit(code), 1_000).unref();
