/**
 * Harmless server-side tools the demo server offers, so that `planroom submit examples/plan.json`
 * has something to run without an agent: `echo`, `sleep`, `word_count`. It is also a tool module
 * (default export), for `npm start -- --tools examples/demo-tools.ts`.
 */
import type { ToolRegistry } from "../server/executor/tool-registry.js";

/** The demo server's tools. */
export const demoServerTools: ToolRegistry = {
  echo: (params) => params,
  sleep: (params, ctx) =>
    new Promise((resolvePromise, reject) => {
      const ms = Math.min(Number(params.ms ?? 100), 60_000);
      const timer = setTimeout(() => resolvePromise({ sleptMs: ms }), ms);
      ctx.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(ctx.signal.reason);
      });
    }),
  word_count: (params) => ({ words: (typeof params.text === "string" ? params.text : "").split(/\s+/).filter(Boolean).length }),
};

/** As a tool module: `npm start -- --tools examples/demo-tools.ts` serves these tools. */
export default demoServerTools;
