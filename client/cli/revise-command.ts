import type { Command } from "commander";
import { diffPlans, ExecutionPlan, isEmptyDiff, terminalSafeLine } from "../../shared/index.js";
import type { CliContext } from "./cli-context.js";
import { EXIT } from "./exit-codes.js";
import { inJoinedRoom } from "./joined-room.js";
import { readPlanFile } from "./plan-file.js";
import { planDiffLines } from "./plan-diff-lines.js";
import type { Runner } from "./runner.js";

interface ReviseOptions {
  dryRun?: boolean;
}

async function revise(ctx: CliContext, planId: string, file: string, options: ReviseOptions): Promise<number> {
  // The file is checked before connecting, like submit's.
  const { plan: input, approval, namedOptions } = await readPlanFile(file);
  const client = ctx.client();
  return inJoinedRoom(client, planId, async (room) => {
    const current = room.plan;
    // What the server will build: options the file does not name keep their current values.
    const next = ExecutionPlan.fromInput({ ...input, options: { ...current.options, ...namedOptions } }).toJSON();
    const preview = diffPlans(current, next);
    const shownId = terminalSafeLine(planId);
    const empty = isEmptyDiff(preview);
    if (!ctx.json) {
      ctx.io.out(empty ? `plan ${shownId} version ${current.version} already matches ${terminalSafeLine(file)}: nothing to send` : `revising plan ${shownId}, version ${current.version}:`);
      for (const line of planDiffLines(preview, next, ctx.c)) ctx.io.out(line);
      if (approval !== undefined) ctx.io.out(ctx.c.dim(`  (the file's "approval" is not sent: a revision keeps the plan's policy)`));
    }
    if (empty || options.dryRun) {
      if (ctx.json) ctx.printJson({ planId, version: current.version, changes: preview, sent: false });
      else if (options.dryRun && !empty) ctx.io.out("dry run: nothing sent");
      return EXIT.OK;
    }
    // Sent with the version the diff was computed against: if the plan moved on meanwhile, the server answers CONFLICT.
    const result = await client.command("plan:revise", { planId, version: current.version, description: input.description, ...(namedOptions ? { options: namedOptions } : {}), steps: input.steps });
    if (ctx.json) ctx.printJson({ planId, fromVersion: current.version, ...result, changes: preview, sent: true });
    else ctx.io.out(`plan ${shownId} is now version ${result.version}; earlier votes were dismissed and it awaits approval again`);
    return EXIT.OK;
  });
}

/** `planroom revise ID FILE [--dry-run]`: shows what a plan file changes in a pending plan, then sends it as the next version. */
export function registerRevise(program: Command, run: Runner): void {
  program
    .command("revise")
    .description("revise a plan awaiting approval (its submitter): prints what the plan file changes — description, options, steps added, removed and changed (matched by id) — then sends it as the next version")
    .argument("<id>", "the plan id")
    .argument("<file>", "the plan file (as submit takes it)")
    .option("-n, --dry-run", "print the changes without sending them")
    .action(run(revise));
}
