import { applyEvent, ApprovalPolicySchema, ExecutionPlan, formatPlan, type PlanEvent, type PlanEventBody, type PlanInput, type PlanState, type PresenceMember, type Snapshot } from "../../shared/index.js";

/** An in-memory event log of one plan, as a server would keep it (for SDK tests). */
export class PlanLog {
  readonly events: PlanEvent[] = [];
  state: PlanState;
  /** Who the snapshot shows in the room, and the presence revision that includes. */
  presence: PresenceMember[] = [];
  presenceRev = 0;
  #at = 1_000;

  constructor(
    readonly planId: string,
    input: PlanInput = { description: "Search and analyse files", steps: [{ id: "search", tool: "search_files" }, { id: "analyse", tool: "analyse", dependsOn: ["search"] }] },
    extra: { tools?: string[]; autoExecute?: boolean } = {},
  ) {
    const plan = ExecutionPlan.fromInput(input, { id: planId, clock: () => 1_000 }).toJSON();
    plan.status = "pending_approval";
    const first: PlanEvent = {
      planId,
      seq: 1,
      type: "plan.submitted",
      at: this.#at,
      data: { plan, policy: ApprovalPolicySchema.parse({}), submittedBy: { id: "agent-1", name: "Agent" }, tools: extra.tools ?? [], autoExecute: extra.autoExecute ?? false },
    };
    this.state = applyEvent(undefined, first);
    this.events.push(first);
  }

  /** Appends an event (seq and time assigned) and returns it. */
  append(body: Omit<PlanEventBody, "at"> & { at?: number }): PlanEvent {
    const event = { ...body, at: body.at ?? ++this.#at, planId: this.planId, seq: this.state.seq + 1 } as PlanEvent;
    applyEvent(this.state, event);
    this.events.push(event);
    return event;
  }

  /** The whole run of a two-step plan after submission: approval, both steps, completion. */
  runToCompletion(): PlanEvent[] {
    return [
      this.append({ type: "vote.cast", actor: "reviewer-1", data: { vote: { voterId: "reviewer-1", voterName: "R1", decision: "approve", version: 1, at: 1 } } }),
      this.append({ type: "plan.approved", data: { by: ["reviewer-1"] } }),
      this.append({ type: "plan.started", data: { run: 1 } }),
      this.append({ type: "step.started", data: { stepId: "search", attempt: 1 } }),
      this.append({ type: "step.completed", data: { stepId: "search", attempt: 1, result: ["a.txt"], durationMs: 5 } }),
      this.append({ type: "step.started", data: { stepId: "analyse", attempt: 1 } }),
      this.append({ type: "step.completed", data: { stepId: "analyse", attempt: 1, result: { words: 3 }, durationMs: 7 } }),
      this.append({ type: "plan.completed", data: { durationMs: 20 } }),
    ];
  }

  /** A `plan:join` answer as of now. */
  snapshot(): Snapshot {
    const s = structuredClone(this.state);
    return { plan: s.plan, formatted: formatPlan(s.plan), policy: s.policy, votes: s.votes, submittedBy: s.submittedBy, tools: s.tools, autoExecute: s.autoExecute, requestedAt: s.requestedAt, presence: [...this.presence], presenceRev: this.presenceRev, seq: s.seq };
  }

  /** Events after `seq`. */
  after(seq: number | undefined): PlanEvent[] {
    return seq === undefined ? [] : this.events.filter((e) => e.seq > seq);
  }
}
