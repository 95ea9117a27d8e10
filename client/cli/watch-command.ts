import type { Command } from "commander";
import { countListVotes, terminalSafeJson, terminalSafeLine, type Vote } from "../../shared/index.js";
import type { RoomHandle } from "../room-handle.js";
import type { CliContext } from "./cli-context.js";
import { followPlan } from "./follow-plan.js";
import type { Runner } from "./runner.js";
import { eventLine, progressLine } from "./terminal-format.js";

/** The votes on the current version so far: `1/2 approvals (Reviewer 1 approves, Reviewer 2 rejects)`, or `no votes yet`. */
function votesSoFar(room: RoomHandle): string {
  // A voter's latest vote counts (a repeated vote replaces the earlier one).
  const latest = new Map<string, Vote>(room.votes.filter((v) => v.version === room.plan.version).map((v) => [v.voterId, v]));
  const current = [...latest.values()];
  if (current.length === 0) return `no votes yet (quorum ${room.policy.quorum})`;
  const { approvals } = countListVotes(current);
  const who = current.map((v) => `${terminalSafeLine(v.voterName)} ${v.decision === "approve" ? "approves" : "rejects"}`).join(", ");
  return `${approvals}/${room.policy.quorum} approvals (${who})`;
}

async function watchOne(ctx: CliContext, planId: string): Promise<number> {
  const room = await ctx.client().join(planId);
  // The first line says where the plan stands, votes already cast included: later lines are events only.
  if (!ctx.json) ctx.io.out(`${ctx.c.bold(terminalSafeLine(planId))} ${terminalSafeLine(room.plan.description)} · ${votesSoFar(room)}`);
  return followPlan(ctx, room, { events: ctx.json ? "json" : "lines" });
}

async function watchAll(ctx: CliContext): Promise<number> {
  const watch = await ctx.client().watch();
  if (!ctx.json) {
    for (const item of watch.plans.values()) ctx.io.out(progressLine(item, ctx.c, ctx.io.isTTY));
    ctx.io.out(ctx.c.dim(`watching ${watch.plans.size} plans; Ctrl-C to stop`));
  }
  watch.on("plan", (item, event) => {
    if (!event) return;
    if (ctx.json) ctx.io.out(terminalSafeJson(event));
    else ctx.io.out(`${progressLine(item, ctx.c, ctx.io.isTTY)} · ${eventLine(event, ctx.c)}`);
  });
  return new Promise<number>(() => undefined);
}

/** `planroom watch [ID]`: a live view of one plan (until it ends) or of every plan. */
export function registerWatch(program: Command, run: Runner): void {
  program
    .command("watch")
    .description("live view: a line per event with step durations and a progress bar per plan; with ID, exits when that plan ends (0 completed, 1 otherwise); --json prints one event per line")
    .argument("[id]", "the plan to follow (default: every plan, until interrupted)")
    .action(run((ctx, id: string | undefined) => (id ? watchOne(ctx, id) : watchAll(ctx))));
}
