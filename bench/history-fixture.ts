/**
 * The data directory of `npm run bench:history`: many stored plans, written directly through the
 * file store's own append path (`createFileStore`, `open`, `append`, `close`), not over the network.
 *
 * - `count` finished plans of 5 chained steps, 16 events each, as a server writes them for a plan
 *   submitted with `autoExecute` and a quorum of 2: `plan.submitted` (the plan built by
 *   `ExecutionPlan.fromInput` and `submitForApproval`, as `plan:submit` builds it), two `vote.cast`,
 *   `plan.approved` (by the second voter, who is also `plan.started`'s actor), `plan.started`,
 *   `step.started`/`step.completed` per step (no actor), `plan.completed`;
 * - 100 live plans, pending approval (`plan.submitted`, every other one with one vote of the two);
 * - one finished plan of 3,000 steps (6,006 events), for `plan:join`.
 *
 * Submitters are 4 agents of {@link HISTORY_PRINCIPALS} (the principals the bench starts its server
 * with); steps use the tool `noop`, which the submitting agent declares it serves. Plans are
 * appended {@link CONCURRENCY} at a time, so the store group-commits them.
 *
 * Runnable alone: `tsx bench/history-fixture.ts DIR COUNT`.
 */
import { pathToFileURL } from "node:url";
import { ApprovalPolicySchema, ExecutionPlan, newPlanId, type PlanEvent, type PlanEventBody, type StepInput } from "../shared/index.js";
import type { PrincipalConfig } from "../server/app/config.js";
import { createFileStore } from "../server/store/file/file-store.js";

/** Plans appended at the same time. */
const CONCURRENCY = 256;
/** Live plans (pending approval). */
const LIVE_PLANS = 100;
/** Steps of the plan the bench joins. */
const BIG_PLAN_STEPS = 3_000;
/** Steps of every other plan. */
const STEPS = 5;

/** The principals the fixture's plans name, and the bench's server is configured with. */
export const HISTORY_PRINCIPALS: PrincipalConfig[] = [
  ...[1, 2, 3, 4].map((i) => ({ id: `agent-${i}`, name: `Agent ${i}`, roles: ["agent" as const], token: `history-agent-token-${i}` })),
  ...[1, 2, 3].map((i) => ({ id: `rev-${i}`, name: `Reviewer ${i}`, roles: ["reviewer" as const], token: `history-reviewer-token-${i}` })),
  { id: "watcher", name: "Watcher", roles: ["observer"], token: "history-observer-token" },
  { id: "admin", name: "Admin", roles: ["admin"], token: "history-admin-token-0" },
];
const agents = HISTORY_PRINCIPALS.filter((p) => p.roles.includes("agent"));
const reviewers = HISTORY_PRINCIPALS.filter((p) => p.roles.includes("reviewer"));
const POLICY = ApprovalPolicySchema.parse({ quorum: 2, reviewers: ["reviewer"] });

/** What {@link writeHistoryFixture} wrote. */
interface HistoryFixture {
  /** The 3,000-step plan. */
  bigPlanId: string;
  plans: number;
  events: number;
  ms: number;
}

/** Numbers the events of one plan from seq 1. */
function logged(planId: string, bodies: PlanEventBody[]): PlanEvent[] {
  return bodies.map((body, i) => ({ ...body, planId, seq: i + 1 }));
}

function stepsOf(count: number, label: string): StepInput[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `s${i + 1}`,
    tool: "noop",
    description: `${label}: step ${i + 1}`,
    params: { n: i + 1, target: `host-${i % 7}` },
    ...(i > 0 ? { dependsOn: [`s${i}`] } : {}),
  }));
}

/** The `plan.submitted` event as `plan:submit` builds it, at `at`. */
function submitted(index: number, at: number, steps: number, label: string): PlanEventBody {
  const agent = agents[index % agents.length]!;
  const plan = ExecutionPlan.fromInput({ description: `${label} #${index}`, steps: stepsOf(steps, label) }, { id: newPlanId(), clock: () => at }, { hasTool: (name) => name === "noop" });
  plan.submitForApproval();
  return { type: "plan.submitted", at, actor: agent.id, data: { plan: plan.toJSON(), policy: POLICY, submittedBy: { id: agent.id, name: agent.name }, tools: ["noop"], autoExecute: true } };
}

function vote(voter: PrincipalConfig, at: number): PlanEventBody {
  return { type: "vote.cast", at, actor: voter.id, data: { vote: { voterId: voter.id, voterName: voter.name, decision: "approve", version: 1, at } } };
}

/** A finished plan's events: submitted, two votes, approved, started, each step, completed. */
function finishedPlan(index: number, at: number, steps: number, label: string): PlanEvent[] {
  const first = submitted(index, at, steps, label);
  const planId = (first as Extract<PlanEventBody, { type: "plan.submitted" }>).data.plan.id;
  const [a, b] = [reviewers[index % reviewers.length]!, reviewers[(index + 1) % reviewers.length]!];
  let t = at + 40_000;
  const bodies: PlanEventBody[] = [first, vote(a, at + 20_000), vote(b, t), { type: "plan.approved", at: t, actor: b.id, data: { by: [a.id, b.id] } }];
  const startedAt = (t += 3);
  bodies.push({ type: "plan.started", at: t, actor: b.id, data: { run: 1 } });
  for (let s = 1; s <= steps; s++) {
    const begun = t;
    bodies.push({ type: "step.started", at: begun, data: { stepId: `s${s}`, attempt: 1 } });
    t += 1 + ((index + s) % 5);
    bodies.push({ type: "step.completed", at: t, data: { stepId: `s${s}`, attempt: 1, result: { ok: true, n: s }, durationMs: t - begun } });
    t += 1;
  }
  bodies.push({ type: "plan.completed", at: t, data: { durationMs: t - startedAt } });
  return logged(planId, bodies);
}

/** A live plan's events: submitted, and every other one a first vote. */
function livePlan(index: number, at: number): PlanEvent[] {
  const first = submitted(index, at, STEPS, "live");
  const planId = (first as Extract<PlanEventBody, { type: "plan.submitted" }>).data.plan.id;
  return logged(planId, index % 2 === 0 ? [first] : [first, vote(reviewers[index % reviewers.length]!, at + 10_000)]);
}

/**
 * Writes `count` finished plans, {@link LIVE_PLANS} live ones and the 3,000-step plan into `dir`
 * (a new or empty data directory) through the file store, {@link CONCURRENCY} plans at a time.
 */
export async function writeHistoryFixture(dir: string, count: number): Promise<HistoryFixture> {
  const started = performance.now();
  const store = createFileStore({ dir });
  await store.open();
  // Plans a minute apart, ending an hour ago; the big one and the live ones last.
  const base = Date.now() - 3_600_000 - (count + LIVE_PLANS + 1) * 60_000;
  const total = count + 1 + LIVE_PLANS;
  let next = 0;
  let events = 0;
  let bigPlanId = "";
  const build = (i: number): PlanEvent[] => {
    const at = base + i * 60_000;
    if (i < count) return finishedPlan(i, at, STEPS, "deploy");
    if (i === count) {
      const big = finishedPlan(i, at, BIG_PLAN_STEPS, "migration");
      bigPlanId = big[0]!.planId;
      return big;
    }
    return livePlan(i, at);
  };
  try {
    await Promise.all(
      Array.from({ length: Math.min(CONCURRENCY, total) }, async () => {
        while (next < total) {
          const planEvents = build(next++);
          await store.append(planEvents);
          events += planEvents.length;
        }
      }),
    );
  } finally {
    await store.close();
  }
  return { bigPlanId, plans: total, events, ms: performance.now() - started };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [dir, count] = process.argv.slice(2);
  if (!dir || !count || !/^\d+$/.test(count)) {
    console.error("usage: tsx bench/history-fixture.ts DIR COUNT");
    process.exit(2);
  }
  const fixture = await writeHistoryFixture(dir, Number(count));
  console.log(`${dir}: ${fixture.plans.toLocaleString("en-US")} plans, ${fixture.events.toLocaleString("en-US")} events in ${(fixture.ms / 1_000).toFixed(1)} s; the ${BIG_PLAN_STEPS}-step plan is ${fixture.bigPlanId}`);
}
