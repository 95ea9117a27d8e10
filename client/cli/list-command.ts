import type { Command } from "commander";
import { PlanroomError, PlanStatusSchema, type PlanStatus } from "../../shared/index.js";
import type { CliContext } from "./cli-context.js";
import { EXIT } from "./exit-codes.js";
import type { Runner } from "./runner.js";
import { planTable } from "./terminal-format.js";

interface ListOptions {
  status?: string;
  submittedBy?: string;
  mayVote?: boolean;
  limit?: string;
}

/** Parses `--status a,b` into plan statuses. */
export function parseStatuses(text: string): PlanStatus[] {
  return text.split(",").map((s, i) => {
    const parsed = PlanStatusSchema.safeParse(s.trim());
    if (!parsed.success) throw new PlanroomError("VALIDATION", `unknown status "${s.trim()}" (one of ${PlanStatusSchema.options.join(", ")})`, [{ path: ["status", i], message: "unknown status" }]);
    return parsed.data;
  });
}

async function list(ctx: CliContext, options: ListOptions): Promise<number> {
  const limit = options.limit === undefined ? undefined : Number(options.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 500)) throw new PlanroomError("VALIDATION", `--limit must be an integer from 1 to 500, not "${options.limit}"`);
  const result = await ctx.client().list({
    ...(options.status !== undefined ? { status: parseStatuses(options.status) } : {}),
    ...(options.submittedBy !== undefined ? { submittedBy: options.submittedBy } : {}),
    ...(options.mayVote === true ? { mayVote: true } : {}),
    ...(limit !== undefined ? { limit } : {}),
  });
  if (ctx.json) ctx.printJson(result);
  else ctx.io.out(planTable(result.plans, ctx.c));
  return EXIT.OK;
}

/** `planroom list`: the plans this principal may see. */
export function registerList(program: Command, run: Runner): void {
  program
    .command("list")
    .description("list plans: id, status, progress, votes, submitter, description (newest first)")
    .option("-s, --status <statuses>", "only plans in these statuses (comma-separated, e.g. pending_approval,executing)")
    .option("--submitted-by <id>", "only plans submitted by this principal id")
    .option("--may-vote", "only plans pending approval that you may vote on")
    .option("-n, --limit <n>", "at most this many plans (1-500, default 50)")
    .action(run(list));
}
