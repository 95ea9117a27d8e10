import type { Command } from "commander";
import { terminalSafeLine } from "../../shared/index.js";
import type { CliContext } from "./cli-context.js";
import { EXIT } from "./exit-codes.js";
import { followPlan } from "./follow-plan.js";
import type { Runner } from "./runner.js";
import { unservedToolsLine } from "./step-outcomes.js";

/** Warns (on stderr, so that `--json` output stays one document) when no socket serves some of the agent's tools. */
function warnUnserved(ctx: CliContext, tools: readonly string[] | undefined): void {
  const line = unservedToolsLine(tools);
  if (line !== undefined) ctx.io.err(ctx.c.yellow(line));
}

async function execute(ctx: CliContext, planId: string, options: { wait?: boolean }): Promise<number> {
  const client = ctx.client();
  if (!options.wait) {
    const result = await client.command("plan:execute", { planId });
    if (ctx.json) ctx.printJson({ planId, ...result });
    else ctx.io.out(`started plan ${terminalSafeLine(planId)}`);
    warnUnserved(ctx, result.unservedTools);
    return EXIT.OK;
  }
  // Joined first, so that no event of the run is missed.
  const room = await client.join(planId);
  const result = await client.command("plan:execute", { planId });
  if (!ctx.json) ctx.io.out(`started plan ${terminalSafeLine(planId)}, waiting for it to end`);
  warnUnserved(ctx, result.unservedTools);
  const code = await followPlan(ctx, room, { events: ctx.json ? "none" : "lines" });
  if (ctx.json) ctx.printJson({ planId, ...result, status: room.plan.status, summary: room.summary() });
  return code;
}

async function resume(ctx: CliContext, planId: string): Promise<number> {
  const result = await ctx.client().command("plan:resume", { planId });
  if (ctx.json) ctx.printJson({ planId, ...result });
  else ctx.io.out(`plan ${terminalSafeLine(planId)} is back awaiting approval; once approved, its failed, skipped and cancelled steps run again (planroom execute ${terminalSafeLine(planId)} if it was submitted with --no-auto-execute)`);
  return EXIT.OK;
}

/** `planroom execute ID [--wait]` (start an approved plan) and `planroom resume ID` (send a failed or cancelled plan back to approval). */
export function registerRuns(program: Command, run: Runner): void {
  program
    .command("execute")
    .description("start an approved plan (the submitter or an admin); with --wait, follow it to its end")
    .argument("<id>", "the plan id")
    .option("-w, --wait", "follow the run to its end; exit 0 when it completes, 1 when it fails or is cancelled")
    .action(run(execute));
  program
    .command("resume")
    .description("send a failed or cancelled plan back to approval, so that its unfinished steps run again (the submitter or an admin)")
    .argument("<id>", "the plan id")
    .action(run(resume));
}
