#!/usr/bin/env node
// The `planroom` command: runs the compiled command line from dist/ with plain node.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const entry = new URL("../../dist/client/cli/planroom-main.js", import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error(`planroom: the command line is not built (no ${fileURLToPath(entry)}): run \`npm run build\` in the checkout first`);
  process.exit(2);
}
await import(entry.href);
