import type { Command } from "commander";
import { PlanroomError, terminalSafeLine } from "../../shared/index.js";
import type { CliContext } from "./cli-context.js";
import { EXIT } from "./exit-codes.js";
import { inJoinedRoom } from "./joined-room.js";
import type { Runner } from "./runner.js";

async function vote(ctx: CliContext, planId: string, decision: "approve" | "reject", comment: string | undefined): Promise<number> {
  const client = ctx.client();
  return inJoinedRoom(client, planId, async (room) => {
    const version = room.plan.version;
    const result = await client.command("plan:vote", { planId, version, decision, ...(comment !== undefined ? { comment } : {}) });
    if (ctx.json) ctx.printJson({ planId, version, decision, ...result });
    else ctx.io.out(`${decision === "approve" ? "approved" : "rejected"} version ${version} of plan ${terminalSafeLine(planId)} (plan is now ${result.outcome === "pending" ? "pending further votes" : result.outcome})`);
    return EXIT.OK;
  });
}

/** `planroom approve ID [-m COMMENT]` and `planroom reject ID -m REASON`: vote on a plan's current version. */
export function registerVotes(program: Command, run: Runner): void {
  program
    .command("approve")
    .description("vote to approve the current version of a plan")
    .argument("<id>", "the plan id")
    .option("-m, --message <comment>", "a comment for the other reviewers")
    .action(run((ctx, id: string, options: { message?: string }) => vote(ctx, id, "approve", options.message)));
  program
    .command("reject")
    .description("vote to reject the current version of a plan")
    .argument("<id>", "the plan id")
    .requiredOption("-m, --message <reason>", "why (required)")
    .action(
      run((ctx, id: string, options: { message: string }) => {
        const reason = options.message.trim();
        // Checked before connecting: a rejection must tell the submitter why.
        if (reason === "") return Promise.reject(new PlanroomError("VALIDATION", "a rejection needs a reason: -m must not be blank"));
        return vote(ctx, id, "reject", reason);
      }),
    );
}
