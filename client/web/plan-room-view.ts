/**
 * A plan room: description and options, the DAG, the approval panel, execution progress with the
 * timeline and the start / resume / cancel controls, every step in full, the formatted plan text, the live event log
 * and who is in the room. Everything follows one `RoomHandle` (joined through the SDK).
 */
import { formatDuration, mayCancel, mayExecute, mayResume, summary, type PlanData, type PlanEventOf, type PlanState, type Principal, type Role } from "../../shared/index.js";
import type { PlanroomClient, RoomHandle } from "../index.js";
import { ApprovalPanel } from "./approval-panel.js";
import { DagView } from "./dag-view.js";
import { h, replaceChildren } from "./element.js";
import { EventLogView } from "./event-log-view.js";
import { formatAge } from "./format-time.js";
import { PresenceView } from "./presence-view.js";
import { PLAN_STATUS_LABEL, statusClass, unservedToolsWarning } from "./status-text.js";
import { StepListView } from "./step-list.js";
import { TimelineView } from "./timeline.js";
import { RenderBatcher } from "./render-batcher.js";

/** How many past events the log loads when the room opens. */
const HISTORY = 200;

function optionsFacts(plan: PlanData): HTMLElement {
  const o = plan.options;
  const rows: [string, string][] = [
    ["Approval", o.requireApproval ? (o.autoApprove ? "auto-approve" : "required") : "not needed"],
    ["On error", o.stopOnError ? "stop the plan" : "continue with other steps"],
    ["Parallelism", o.allowParallel ? `up to ${o.maxParallelSteps} steps at once` : "one step at a time"],
    ["Step timeout", formatDuration(o.stepTimeoutMs)],
    ["Retry", o.retry.maxAttempts > 1 ? `${o.retry.maxAttempts} attempts, backoff ${formatDuration(o.retry.backoffMs)}` : "no retry"],
  ];
  return h("dl", { class: "facts" }, ...rows.flatMap(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })]));
}

/** An open plan room view. */
export class PlanRoomView {
  /** The view's root element. */
  readonly element: HTMLElement;
  readonly #room: RoomHandle;
  readonly #principal: Principal;
  readonly #dag: DagView;
  readonly #timeline = new TimelineView();
  readonly #steps = new StepListView();
  readonly #log = new EventLogView();
  readonly #approval: ApprovalPanel;
  readonly #head = h("header", { class: "room-head" });
  readonly #presence: PresenceView;
  readonly #progress = h("div", { class: "progress-block" });
  readonly #run = h("div", { class: "run-block" });
  /** The warning a started run's answer gave (its agent's tools that no socket serves); stays through the run. */
  readonly #runNotice = h("p", { class: "hint hint-blocked", role: "status", id: "run-notice", hidden: true });
  readonly #cancel = h("div", { class: "cancel-block" });
  readonly #options = h("div");
  readonly #text = h("pre", { class: "code plan-text", tabindex: "0", "aria-label": "Formatted plan" });
  readonly #off: (() => void)[] = [];
  readonly #ticker: ReturnType<typeof setInterval>;
  #revision: PlanEventOf<"plan.revised"> | undefined;
  readonly #renders = new RenderBatcher(() => this.render());
  #cancelBusy = false;
  /** What the start / resume block shows now (it is rebuilt only when this changes). */
  #runShown = "";
  #runBusy = false;

  /**
   * Joins the plan's room and builds the view; rejects when the plan cannot be opened. `voterRoles`
   * are the roles whose principals may vote on this server (`session:whoami`).
   */
  static async open(client: PlanroomClient, principal: Principal, voterRoles: readonly Role[], planId: string): Promise<PlanRoomView> {
    const room = await client.join(planId);
    const view = new PlanRoomView(room, principal, voterRoles);
    void view.#loadHistory(client);
    return view;
  }

  private constructor(room: RoomHandle, principal: Principal, voterRoles: readonly Role[]) {
    this.#room = room;
    this.#principal = principal;
    this.#presence = new PresenceView(principal);
    this.#steps.element.id = "steps";
    this.#dag = new DagView({ onSelect: (id) => this.#steps.reveal(id) });
    this.#approval = new ApprovalPanel(principal, voterRoles, {
      approve: (comment) => room.approve(comment),
      reject: (reason) => room.reject(reason),
    });
    const card = (id: string, title: string, ...children: (HTMLElement | null)[]): HTMLElement =>
      h("section", { class: "card", id, "aria-labelledby": `${id}-title` }, h("h2", { id: `${id}-title`, text: title }), ...children);
    this.element = h(
      "div",
      { class: "room", "data-plan-id": room.planId },
      this.#head,
      card(
        "graph",
        "Plan graph",
        h("p", { class: "legend", "aria-hidden": "true" }, ...(["pending", "running", "completed", "failed", "skipped"] as const).map((s) => h("span", { class: `legend-item ${statusClass(s)}`, text: s === "completed" ? "done" : s }))),
        this.#dag.element,
      ),
      h(
        "div",
        { class: "room-grid" },
        h(
          "div",
          { class: "room-main" },
          card("execution", "Execution", this.#progress, this.#run, this.#runNotice, this.#cancel, this.#timeline.element),
          card("steps-card", "Steps", this.#steps.element),
          card("text", "Plan as text", this.#text),
        ),
        h("aside", { class: "room-side" }, this.#approval.element, card("options", "Options", this.#options), card("log", "Event log", this.#log.element)),
      ),
    );
    this.#off.push(
      room.on("change", () => this.#renders.schedule()),
      room.on("*", (event) => {
        if (event.type === "plan.revised") this.#revision = event;
        this.#log.add(event);
      }),
      room.on("presence", (_members, change) => this.#presence.apply(change)),
    );
    this.#presence.show(room.presence);
    this.#ticker = setInterval(() => this.#tick(), 1_000);
    this.render();
  }

  /** Redraws everything from the room's state. */
  render(now = Date.now()): void {
    const state = this.#room.state;
    const plan = state.plan;
    document.title = `${plan.description} · Planroom`;
    this.#renderHead(state, now);
    this.#dag.update(plan);
    this.#renderProgress(plan, now);
    this.#renderRun(state);
    this.#renderCancel(state);
    this.#timeline.update(plan, now);
    this.#steps.update(plan);
    this.#approval.update(state, this.#revision, now);
    replaceChildren(this.#options, optionsFacts(plan));
    const text = this.#room.formatted;
    if (this.#text.textContent !== text) this.#text.textContent = text;
  }

  /** Leaves the room and stops updating. */
  close(): void {
    for (const off of this.#off.splice(0)) off();
    clearInterval(this.#ticker);
    this.#renders.cancel();
    void this.#room.leave().catch(() => undefined);
  }

  #renderHead(state: PlanState, now: number): void {
    const { plan, submittedBy } = state;
    replaceChildren(
      this.#head,
      h("a", { href: "#/", class: "back", text: "← All plans" }),
      h(
        "div",
        { class: "room-title" },
        h("h1", { text: plan.description }),
        h("span", { class: `badge badge-large ${statusClass(plan.status)}`, "data-plan-status": plan.status, text: PLAN_STATUS_LABEL[plan.status] }),
      ),
      h(
        "p",
        { class: "muted meta" },
        h("span", { class: "mono", text: plan.id }),
        ` · version ${plan.version} · submitted by `,
        h("strong", { text: submittedBy.name }),
        ` · ${formatAge(plan.createdAt, now)} · ${plan.steps.length} step${plan.steps.length === 1 ? "" : "s"}`,
        state.tools.length > 0 ? ` · agent tools: ${state.tools.join(", ")}` : "",
      ),
      this.#presence.element,
    );
  }

  #renderProgress(plan: PlanData, now: number): void {
    const s = summary(plan, now);
    const pct = Math.round(s.progress);
    const counts = [
      s.counts.completed ? `${s.counts.completed} done` : "",
      s.counts.running ? `${s.counts.running} running` : "",
      s.counts.failed ? `${s.counts.failed} failed` : "",
      s.counts.skipped ? `${s.counts.skipped} skipped` : "",
      s.counts.cancelled ? `${s.counts.cancelled} cancelled` : "",
      s.counts.pending ? `${s.counts.pending} ${plan.status === "executing" ? "queued" : "pending"}` : "",
    ].filter(Boolean);
    replaceChildren(
      this.#progress,
      h(
        "div",
        { class: "progress-line" },
        h("strong", { class: "progress-pct", "data-progress": pct, text: `${pct}%` }),
        h("span", { text: ` ${s.finished}/${s.total} steps` }),
        h("span", { class: "muted", text: counts.length > 0 ? ` · ${counts.join(" · ")}` : "" }),
        h("span", { class: "muted right", text: plan.startedAt !== undefined ? `${plan.finishedAt !== undefined ? "took" : "running for"} ${formatDuration(s.elapsedMs)}` : "not started" }),
      ),
      h(
        "div",
        { class: "meter meter-large", role: "progressbar", "aria-label": "Plan progress", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": pct },
        h("div", { class: `meter-fill ${statusClass(plan.status)}`, style: `width:${s.progress}%` }),
      ),
      plan.error ? h("p", { class: "step-error", role: "alert" }, h("strong", { text: "The plan failed: " }), plan.error.message) : null,
      plan.cancellation ? h("p", { class: "muted" }, `Cancelled${plan.cancellation.by ? ` by ${plan.cancellation.by}` : ""}: ${plan.cancellation.reason}`) : null,
    );
  }

  /**
   * "Start run" while the plan is approved, "Resume" once a run failed or was cancelled: enabled for
   * those the shared rule allows (`mayExecute` / `mayResume`), disabled with the reason for others.
   */
  #renderRun(state: PlanState): void {
    const status = state.plan.status;
    const kind = status === "approved" ? "execute" : status === "failed" || status === "cancelled" ? "resume" : undefined;
    // The warning of the run's start holds while that run goes on.
    if (status !== "approved" && status !== "executing") this.#showRunNotice(undefined);
    if (!kind) {
      this.#runShown = "";
      this.#run.hidden = true;
      this.#run.replaceChildren();
      return;
    }
    const permission = kind === "execute" ? mayExecute(this.#principal, state) : mayResume(this.#principal, state);
    const shown = `${kind}:${permission.allowed ? "" : permission.reason}`;
    if (shown === this.#runShown) return;
    this.#runShown = shown;
    this.#run.hidden = false;
    const description = h("p", {
      class: "hint",
      id: "run-description",
      text:
        kind === "execute"
          ? "Runs the approved plan now; everyone in the room sees its steps live."
          : "Sends the plan back to approval: reviewers vote again, and once it is approved its failed, skipped and cancelled steps run again.",
    });
    const blocked = permission.allowed ? null : h("p", { class: "hint hint-blocked", id: "run-blocked", text: `You cannot ${kind === "execute" ? "start the run" : "resume the plan"}: ${permission.reason}.` });
    const error = h("p", { class: "form-error", role: "alert", id: "run-error" });
    const button = h("button", {
      type: "button",
      class: kind === "execute" ? "button primary" : "button",
      "data-action": kind,
      "aria-describedby": `run-description${blocked ? " run-blocked" : ""} run-error`,
      disabled: !permission.allowed || this.#runBusy,
      text: kind === "execute" ? "Start run" : "Resume",
    });
    button.addEventListener("click", () => {
      if (this.#runBusy || button.disabled) return;
      this.#runBusy = true;
      button.disabled = true;
      error.textContent = "";
      this.#showRunNotice(undefined);
      (kind === "execute" ? this.#room.execute().then((answer) => this.#showRunNotice(unservedToolsWarning(answer.unservedTools))) : this.#room.resume())
        .catch((e: unknown) => (error.textContent = `${kind === "execute" ? "Not started" : "Not resumed"}: ${e instanceof Error ? e.message : String(e)}`))
        .finally(() => {
          this.#runBusy = false;
          if (button.isConnected) button.disabled = false;
        });
    });
    replaceChildren(this.#run, button, description, blocked, error);
  }

  #showRunNotice(text: string | undefined): void {
    this.#runNotice.textContent = text ?? "";
    this.#runNotice.hidden = text === undefined;
  }

  #renderCancel(state: PlanState): void {
    const permission = mayCancel(this.#principal, state);
    if (!permission.allowed) {
      this.#cancel.hidden = true;
      this.#cancel.replaceChildren();
      return;
    }
    if (!this.#cancel.hidden && this.#cancel.childElementCount > 0) return;
    this.#cancel.hidden = false;
    const reason = h("input", { id: "cancel-reason", name: "reason", type: "text", maxlength: 2000, placeholder: "Why (optional)" });
    const error = h("span", { class: "form-error", role: "alert" });
    const button = h("button", { type: "submit", class: "button danger", "data-action": "cancel", text: "Cancel plan" });
    replaceChildren(
      this.#cancel,
      h(
        "form",
        {
          class: "cancel-form",
          on: {
            submit: (event) => {
              event.preventDefault();
              if (this.#cancelBusy) return;
              this.#cancelBusy = true;
              button.disabled = true;
              const why = reason.value.trim();
              this.#room
                .cancel(why || undefined)
                .catch((e: unknown) => (error.textContent = `Not cancelled: ${e instanceof Error ? e.message : String(e)}`))
                .finally(() => {
                  this.#cancelBusy = false;
                  button.disabled = false;
                });
            },
          },
        },
        h("label", { for: "cancel-reason", class: "visually-hidden", text: "Reason for cancelling" }),
        reason,
        button,
        error,
      ),
    );
  }


  #tick(): void {
    const now = Date.now();
    const plan = this.#room.state.plan;
    if (plan.status === "executing") {
      this.#timeline.update(plan, now);
      this.#renderProgress(plan, now);
    }
    this.#approval.tick(now);
  }

  /** Fills the log with the events that happened before this view opened. */
  async #loadHistory(client: PlanroomClient): Promise<void> {
    const seq = this.#room.state.seq;
    try {
      const { events } = await client.command("plan:join", { planId: this.#room.planId, afterSeq: Math.max(0, seq - HISTORY) });
      for (const event of events) {
        if (event.seq > seq) continue;
        if (event.type === "plan.revised" && (!this.#revision || this.#revision.seq < event.seq)) this.#revision = event;
        this.#log.add(event);
      }
      this.#renders.schedule();
    } catch {
      this.#log.note(`Joined at event ${seq}; earlier events are not available.`);
    }
  }
}
