/**
 * The approval panel: the policy (quorum, who may vote, expiry countdown), each vote, and the
 * approve / reject controls with a comment box, enabled only for those the policy and the server's
 * voter roles let vote (the same rule as the server's, `mayVote` in `shared/`), disabled with a
 * reason for the others.
 */
import { mayVote, revisionChangesText, type PlanEventOf, type PlanState, type Principal, type Role } from "../../shared/index.js";
import { h, replaceChildren } from "./element.js";
import { formatAge, formatClock, formatCountdown } from "./format-time.js";

/** What the panel does with a vote; a rejected promise shows its message. */
export interface ApprovalActions {
  approve(comment: string | undefined): Promise<void>;
  reject(reason: string): Promise<void>;
}

/** The approval panel of one plan room. */
export class ApprovalPanel {
  /** The panel's root element. */
  readonly element: HTMLElement;
  readonly #principal: Principal;
  readonly #voterRoles: readonly Role[];
  readonly #actions: ApprovalActions;
  readonly #policy = h("dl", { class: "facts" });
  readonly #tally = h("div", { class: "tally" });
  readonly #decision = h("div", { class: "decision", role: "status" });
  readonly #revision = h("div", { class: "revision", role: "status" });
  readonly #votes = h("ul", { class: "votes", "aria-label": "Votes" });
  readonly #comment: HTMLTextAreaElement;
  readonly #approve: HTMLButtonElement;
  readonly #reject: HTMLButtonElement;
  readonly #hint = h("p", { class: "hint", id: "vote-hint" });
  readonly #error = h("p", { class: "form-error", role: "alert", id: "vote-error" });
  readonly #form: HTMLFormElement;
  readonly #countdown = h("span", { class: "countdown" });
  #busy = false;
  #state: PlanState | undefined;
  #lastRevision: PlanEventOf<"plan.revised"> | undefined;
  #deadline: number | undefined;

  /** `voterRoles`: the roles whose principals may vote on this server (`session:whoami`). */
  constructor(principal: Principal, voterRoles: readonly Role[], actions: ApprovalActions) {
    this.#principal = principal;
    this.#voterRoles = voterRoles;
    this.#actions = actions;
    this.#comment = h("textarea", { id: "vote-comment", name: "comment", rows: 3, maxlength: 2000, placeholder: "What you checked, or why you reject", "aria-describedby": "vote-hint vote-error" });
    this.#approve = h("button", { type: "submit", class: "button approve", "data-action": "approve", "aria-describedby": "vote-hint", text: "Approve" });
    this.#reject = h("button", { type: "button", class: "button reject", "data-action": "reject", "aria-describedby": "vote-hint", text: "Reject" });
    this.#reject.addEventListener("click", () => void this.#vote("reject"));
    this.#comment.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        void this.#vote("approve");
      }
    });
    this.#form = h(
      "form",
      { class: "vote-form", "aria-label": "Your vote", on: { submit: (event) => (event.preventDefault(), void this.#vote("approve")) } },
      h("label", { for: "vote-comment", text: "Comment (required to reject)" }),
      this.#comment,
      h("div", { class: "button-row" }, this.#approve, this.#reject),
      this.#hint,
      this.#error,
    );
    this.element = h(
      "section",
      { class: "card approval", "aria-labelledby": "approval-title" },
      h("h2", { id: "approval-title", text: "Approval" }),
      this.#decision,
      this.#revision,
      this.#tally,
      this.#policy,
      h("h3", { text: "Votes" }),
      this.#votes,
      this.#form,
    );
  }

  /** Shows the room's state; `revision` is the last `plan.revised` event seen, if any. */
  update(state: PlanState, revision: PlanEventOf<"plan.revised"> | undefined, now: number): void {
    this.#state = state;
    this.#lastRevision = revision;
    const { plan, policy, votes } = state;
    const current = votes.filter((v) => v.version === plan.version);
    const approvals = current.filter((v) => v.decision === "approve").length;
    const rejections = current.length - approvals;

    replaceChildren(
      this.#tally,
      h("div", { class: "tally-text" }, h("strong", { text: `${approvals}/${policy.quorum}` }), ` approval${policy.quorum === 1 ? "" : "s"}`, rejections > 0 ? h("span", { class: "tally-rejections", text: ` · ${rejections} rejection${rejections === 1 ? "" : "s"}` }) : null),
      h("div", { class: "meter", role: "progressbar", "aria-label": "Approvals", "aria-valuemin": 0, "aria-valuemax": policy.quorum, "aria-valuenow": Math.min(approvals, policy.quorum) }, h("div", { class: "meter-fill approve-fill", style: `width:${Math.min(100, (approvals / policy.quorum) * 100)}%` })),
    );

    // The request's opening time is part of the shared state, so the countdown is right after a reload too.
    this.#deadline = policy.expiresInMs !== undefined && plan.status === "pending_approval" ? state.requestedAt + policy.expiresInMs : undefined;
    replaceChildren(
      this.#policy,
      h("dt", { text: "Quorum" }),
      h("dd", { text: `${policy.quorum} approval${policy.quorum === 1 ? "" : "s"}${policy.vetoOnReject ? ", one rejection vetoes" : ""}` }),
      h("dt", { text: "Who may vote" }),
      h("dd", { text: `${policy.reviewers.join(", ")}${policy.allowSelfApproval ? " (submitter too)" : " (not the submitter)"}` }),
      h("dt", { text: "Expires" }),
      h("dd", {}, this.#deadline !== undefined ? this.#countdown : policy.expiresInMs !== undefined ? "—" : "never"),
      h("dt", { text: "Version" }),
      h("dd", { text: String(plan.version) }),
    );
    this.tick(now);

    const d = plan.decision;
    this.#decision.className = `decision ${d ? `decision-${d.outcome}` : "decision-none"}`;
    const nameOf = new Map(votes.map((v) => [v.voterId, v.voterName]));
    const deciders = d ? d.by.map((id) => nameOf.get(id) ?? id) : [];
    replaceChildren(this.#decision, d ? `${d.outcome === "approved" ? "Approved" : d.outcome === "rejected" ? "Rejected" : "Expired"}${deciders.length > 0 ? ` by ${deciders.join(", ")}` : ""} at ${formatClock(d.at)}${d.reason ? ` — ${d.reason}` : ""}` : null);

    if (plan.version > 1 && revision && revision.data.plan.version === plan.version) {
      replaceChildren(this.#revision, h("strong", { text: `Revised to version ${plan.version}` }), `: ${revisionChangesText(revision.data.changes)}. `, revision.data.dismissedVotes > 0 ? `${revision.data.dismissedVotes} earlier vote${revision.data.dismissedVotes === 1 ? " was" : "s were"} dismissed.` : "No votes had been cast.");
      this.#revision.hidden = false;
    } else if (plan.version > 1) {
      replaceChildren(this.#revision, h("strong", { text: `Version ${plan.version}` }), ": the plan was revised; votes on earlier versions were dismissed.");
      this.#revision.hidden = false;
    } else this.#revision.hidden = true;

    replaceChildren(
      this.#votes,
      ...(current.length === 0
        ? [h("li", { class: "muted", text: "No votes yet." })]
        : current.map((v) =>
            h(
              "li",
              { class: `vote vote-${v.decision}`, "data-voter": v.voterId },
              h("span", { class: "vote-mark", "aria-hidden": "true", text: v.decision === "approve" ? "✓" : "✗" }),
              h("div", { class: "vote-body" }, h("div", {}, h("strong", { text: v.voterName }), ` ${v.decision === "approve" ? "approved" : "rejected"}`, h("time", { class: "muted", datetime: new Date(v.at).toISOString(), title: formatClock(v.at), text: ` · ${formatAge(v.at, now)}` })), v.comment ? h("p", { class: "vote-comment", text: v.comment }) : null),
            ),
          )),
    );

    const permission = mayVote(this.#principal, state, this.#voterRoles);
    const mine = current.find((v) => v.voterId === this.#principal.id);
    this.#approve.disabled = !permission.allowed || this.#busy;
    this.#reject.disabled = !permission.allowed || this.#busy;
    this.#comment.disabled = !permission.allowed;
    this.#form.hidden = plan.status !== "pending_approval" && plan.status !== "draft";
    this.#hint.textContent = permission.allowed
      ? mine
        ? `You ${mine.decision === "approve" ? "approved" : "rejected"} this version; you may change your vote until the decision.`
        : "Your vote is recorded under your name. Ctrl+Enter approves."
      : `You cannot vote: ${permission.reason}.`;
    this.#hint.className = permission.allowed ? "hint" : "hint hint-blocked";
  }

  /** Updates the expiry countdown. */
  tick(now: number): void {
    if (this.#deadline === undefined) return;
    const text = formatCountdown(this.#deadline, now);
    this.#countdown.textContent = text === "expired" ? "expiring now" : `in ${text}`;
    this.#countdown.className = this.#deadline - now < 60_000 ? "countdown urgent" : "countdown";
  }

  async #vote(decision: "approve" | "reject"): Promise<void> {
    if (this.#busy || !this.#state || !mayVote(this.#principal, this.#state, this.#voterRoles).allowed) return;
    const comment = this.#comment.value.trim();
    if (decision === "reject" && !comment) {
      this.#error.textContent = "Say why you reject the plan in the comment box.";
      this.#comment.focus();
      return;
    }
    this.#error.textContent = "";
    this.#busy = true;
    this.#approve.disabled = true;
    this.#reject.disabled = true;
    try {
      if (decision === "approve") await this.#actions.approve(comment || undefined);
      else await this.#actions.reject(comment);
      this.#comment.value = "";
    } catch (error) {
      this.#error.textContent = `Your vote was not recorded: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      this.#busy = false;
      if (this.#state) this.update(this.#state, this.#lastRevision, Date.now());
    }
  }
}
