import type { Command } from "commander";
import { terminalSafeLine } from "../../shared/index.js";
import type { CliContext } from "./cli-context.js";
import { EXIT } from "./exit-codes.js";
import type { Runner } from "./runner.js";

async function cancel(ctx: CliContext, planId: string, options: { message?: string }): Promise<number> {
  const result = await ctx.client().command("plan:cancel", { planId, ...(options.message !== undefined ? { reason: options.message } : {}) });
  if (ctx.json) ctx.printJson({ planId, ...result });
  else ctx.io.out(`cancelled plan ${terminalSafeLine(planId)}`);
  return EXIT.OK;
}

/** `planroom cancel ID`: cancels a plan (running steps are aborted). */
export function registerCancel(program: Command, run: Runner): void {
  program
    .command("cancel")
    .description("cancel a plan that is awaiting approval, approved or running (running steps are aborted)")
    .argument("<id>", "the plan id")
    .option("-m, --message <reason>", "why")
    .action(run(cancel));
}
