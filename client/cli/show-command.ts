import type { Command } from "commander";
import { countListVotes, terminalSafeLine, terminalSafeText } from "../../shared/index.js";
import type { CliContext } from "./cli-context.js";
import { EXIT } from "./exit-codes.js";
import { inJoinedRoom } from "./joined-room.js";
import type { Runner } from "./runner.js";
import { roomProgress } from "./follow-plan.js";
import { agentToolsLine, stepOutcomeLines } from "./step-outcomes.js";
import { statusText, voteLines } from "./terminal-format.js";

async function show(ctx: CliContext, planId: string): Promise<number> {
  return inJoinedRoom(ctx.client(), planId, async (room) => {
    if (ctx.json) {
      ctx.printJson({ plan: room.plan, policy: room.policy, votes: room.votes, presence: room.presence, submittedBy: room.state.submittedBy, tools: room.state.tools, summary: room.summary(), formatted: room.formatted });
      return EXIT.OK;
    }
    const { plan, votes, policy } = room;
    // Already terminal-safe when formatted by this version; checked again, as a server formatted it.
    ctx.io.out(terminalSafeText(room.formatted));
    ctx.io.out("");
    ctx.io.out(`Status: ${statusText(plan.status, ctx.c)} · submitted by ${terminalSafeLine(room.state.submittedBy.name)}`);
    ctx.io.out(agentToolsLine(room.state.tools));
    const { approvals } = countListVotes(votes.filter((v) => v.version === plan.version));
    ctx.io.out(`Votes (${approvals}/${policy.quorum} approvals needed):`);
    const lines = voteLines(votes, ctx.c);
    ctx.io.out(lines.length > 0 ? lines.join("\n") : "  (none yet)");
    const outcomes = stepOutcomeLines(plan, ctx.c);
    if (outcomes.length > 0) ctx.io.out(`Results:\n${outcomes.join("\n")}`);
    if (plan.startedAt !== undefined) ctx.io.out(roomProgress(room, ctx));
    return EXIT.OK;
  });
}

/** `planroom show ID`: the formatted plan, its status, its agent's tools, votes, step results and errors. */
export function registerShow(program: Command, run: Runner): void {
  program.command("show").description("show a plan: formatted steps, status, the tools its agent serves, votes, each step's result or error, and progress").argument("<id>", "the plan id").action(run(show));
}
