import type { Command } from "commander";
import { PlanroomError, terminalSafeLine } from "../../shared/index.js";
import { reviewLink } from "../../shared/index.js";
import type { CliContext } from "./cli-context.js";
import { EXIT } from "./exit-codes.js";
import { followPlan } from "./follow-plan.js";
import type { Runner } from "./runner.js";
import { readPlanFile } from "./plan-file.js";

interface SubmitOptions {
  quorum?: string;
  wait?: boolean;
  autoExecute: boolean;
  linkToken?: string;
}

async function submit(ctx: CliContext, file: string, options: SubmitOptions): Promise<number> {
  const { plan, approval } = await readPlanFile(file);
  const policy = { ...approval };
  if (options.quorum !== undefined) {
    const quorum = Number(options.quorum);
    if (!Number.isInteger(quorum) || quorum < 1) throw new PlanroomError("VALIDATION", `--quorum must be a positive integer, not "${options.quorum}"`);
    policy.quorum = quorum;
  }
  const handle = await ctx
    .client()
    .submit(plan, { approval: policy, autoExecute: options.autoExecute })
    .catch((error: unknown) => {
      // A plan file has no agent serving tools: the usual cause is a server started without its tool modules.
      if (error instanceof PlanroomError && error.code === "UNKNOWN_TOOL" && !ctx.json) ctx.io.err(ctx.c.dim("hint: a plan file's tools must be server tools: start the server with the modules that define them (npm start -- --tools MODULE)"));
      throw error;
    });
  const link = reviewLink({ serverUrl: ctx.url, planId: handle.planId, token: options.linkToken });
  const shownId = terminalSafeLine(handle.planId);
  const shownLink = terminalSafeLine(link);
  if (!options.wait) {
    if (ctx.json) ctx.printJson({ planId: handle.planId, version: handle.plan.version, status: handle.plan.status, link });
    else ctx.io.out(`submitted plan ${ctx.c.bold(shownId)} (${handle.plan.steps.length} steps, quorum ${handle.policy.quorum})\nreview: ${shownLink}`);
    return EXIT.OK;
  }
  if (!ctx.json) ctx.io.out(`submitted plan ${ctx.c.bold(shownId)}, waiting for it to end\nreview: ${shownLink}`);
  const code = await followPlan(ctx, handle, { events: ctx.json ? "none" : "lines" });
  if (ctx.json) ctx.printJson({ planId: handle.planId, version: handle.plan.version, status: handle.plan.status, link, summary: handle.summary() });
  return code;
}

/** `planroom submit FILE`: submits a plan file; with `--wait`, follows it to the end. */
export function registerSubmit(program: Command, run: Runner): void {
  program
    .command("submit")
    .description("submit a plan file (JSON: description, options, steps, approval) and print its id and review link")
    .argument("<file>", "the plan file")
    .option("-q, --quorum <n>", "approvals needed (overrides the file's approval.quorum)")
    .option("-w, --wait", "follow the plan to its end; exit 0 when it completes, 1 when it is rejected, expires, fails or is cancelled")
    .option("--no-auto-execute", "do not start the plan when it is approved (someone must execute it)")
    .option("--link-token <token>", "put this (reviewer's) token in the review link")
    .action(run(submit));
}
