import pc from "picocolors";
import { describe, expect, it } from "vitest";
import { formatPath } from "../../client/cli/cli-context.js";
import { exitCodeForError, exitCodeForStatus } from "../../client/cli/exit-codes.js";
import { parseStatuses } from "../../client/cli/list-command.js";
import { parsePlanFile } from "../../client/cli/plan-file.js";
import { stepOutcomeLines, unservedToolsLine, waitingLines } from "../../client/cli/step-outcomes.js";
import { eventLine, planTable, progressBar, progressLine, voteLines } from "../../client/cli/terminal-format.js";
import { PlanroomError, type PlanEvent, type PlanListItem } from "../../shared/index.js";
import { PlanLog } from "../support/plan-log.js";

const plain = pc.createColors(false);
const colour = pc.createColors(true);

describe("terminal output", () => {
  it("progress bars: ASCII without a terminal, coloured blocks on one", () => {
    expect(progressBar(40, plain, false, 10)).toBe("[####------]  40%");
    const tty = progressBar(40, colour, true, 10);
    expect(tty).toContain("████");
    expect(tty).toMatch(/\x1b\[/);
    expect(progressBar(250, plain, false, 4)).toBe("[####] 100%");
  });

  it("event lines name the step, with durations", () => {
    const log = new PlanLog("p1");
    const events = log.runToCompletion();
    expect(eventLine(events[3]!, plain)).toBe("▶ Step search started");
    expect(eventLine(events[4]!, plain)).toBe("✓ Step search completed in 5 ms");
    expect(eventLine(events[7]!, plain)).toBe("Plan completed in 20 ms");
    const vote = { planId: "p1", seq: 10, type: "vote.cast", at: 1, data: { vote: { voterId: "r1", voterName: "Reviewer 1", decision: "reject", comment: "too broad", version: 1, at: 1 } } } as const;
    expect(eventLine(vote, plain)).toBe("Reviewer 1 rejected version 1: “too broad”");
  });

  it("the plan table lists id, status, progress and votes", () => {
    const log = new PlanLog("p1");
    const table = planTable([{ id: "p1", description: "Search", status: "pending_approval", version: 1, submittedBy: { id: "a", name: "Agent" }, createdAt: 0, updatedAt: 0, total: 2, finished: 0, progress: 0, approvals: 1, rejections: 0, votes: [{ voterId: "r1", decision: "approve" }], quorum: 2, seq: log.state.seq }], plain);
    expect(table.split("\n")[1]).toMatch(/^p1\s+pending approval\s+0%\s+1\/2\s+Agent\s+Search$/);
    expect(planTable([], plain)).toBe("no plans");
  });
});

describe("terminal output of hostile text", () => {
  const ATTACK = "\x1b[2K\r✓ approved\x1b]0;pwned\x07\x08\x9b1A\u202E\u2066\x7f\nfake line";
  const NORMAL = "café 🚀 日本語";
  /** Raw characters that could steer a terminal, newlines included (every line here is one line). */
  const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]/u;
  /** The colour codes picocolors adds itself. */
  const OWN_COLOURS = /\x1b\[\d+m/g;
  const evil = (text: string): string => `${text}${ATTACK} ${NORMAL}`;
  const error = { code: evil("E"), message: evil("boom") };
  const step = { stepId: "search" };
  const events = [
    { type: "plan.submitted", data: { plan: { description: evil("plan"), steps: [] }, submittedBy: { id: "a", name: evil("agent") } } },
    { type: "vote.cast", data: { vote: { voterId: "r1", voterName: evil("voter"), decision: "approve", comment: evil("comment"), version: 1, at: 1 } } },
    { type: "plan.approved", data: { by: [evil("alice")] } },
    { type: "plan.rejected", data: { by: [evil("bob")], reason: evil("reason") } },
    { type: "step.started", data: { stepId: evil("started"), attempt: 1 } },
    { type: "step.retrying", data: { ...step, attempt: 1, delayMs: 5, error } },
    { type: "step.failed", data: { ...step, attempt: 1, error, durationMs: 5 } },
    { type: "step.skipped", data: { stepId: evil("id"), reason: evil("skip") } },
    { type: "step.cancelled", data: { ...step, reason: evil("cancel") } },
    { type: "plan.failed", data: { error, durationMs: 5 } },
    { type: "plan.cancelled", data: { reason: evil("stop") } },
  ].map((e, i) => ({ planId: "p1", seq: i + 2, at: 1, ...e }) as unknown as PlanEvent);

  it("event lines show every control of a plan's text as an escape, coloured or not, and keep normal Unicode", () => {
    for (const colours of [plain, colour]) {
      for (const event of events) {
        const line = eventLine(event, colours);
        expect(line.replace(OWN_COLOURS, ""), event.type).not.toMatch(RAW_CONTROL);
        expect(line, event.type).toContain("\\u001b[2K\\u000d✓ approved");
        expect(line, event.type).toContain(NORMAL);
      }
    }
    expect(eventLine(events[6]!, plain)).toMatch(/^✗ Step search failed after 5 ms: \[E\\u001b.*\] boom\\u001b/);
  });

  it("the plan table, progress lines and vote lines are one line per item with controls escaped", () => {
    const item: PlanListItem = { id: evil("p"), description: evil("plan"), status: "pending_approval", version: 1, submittedBy: { id: "a", name: evil("agent") }, createdAt: 0, updatedAt: 0, total: 1, finished: 0, progress: 0, approvals: 0, rejections: 0, votes: [], quorum: 1, seq: 1 };
    const table = planTable([item], plain);
    expect(table.split("\n")).toHaveLength(2);
    expect(table.split("\n").join("")).not.toMatch(RAW_CONTROL);
    expect(table).toContain(`agent\\u001b[2K\\u000d✓ approved\\u001b]0;pwned\\u0007\\u0008\\u009b1A\\u202e\\u2066\\u007f\\u000afake line ${NORMAL}`);
    for (const colours of [plain, colour]) {
      const line = progressLine(item, colours, colours === colour);
      expect(line.replace(OWN_COLOURS, "")).not.toMatch(RAW_CONTROL);
      expect(line).toContain(NORMAL);
      const votes = voteLines([{ voterId: evil("r"), voterName: evil("voter"), decision: "reject", comment: evil("why"), version: 1, at: 1 }], colours);
      expect(votes).toHaveLength(1);
      expect(votes[0]!.replace(OWN_COLOURS, "")).not.toMatch(RAW_CONTROL);
      expect(votes[0]).toContain(`why\\u001b[2K`);
    }
  });
});

describe("plan files and exit codes", () => {
  it("reports problems with their JSON paths", () => {
    const problems = (text: string): string[] => {
      try {
        parsePlanFile(text);
        return [];
      } catch (error) {
        return ((error as PlanroomError).issues ?? []).map((i) => `${formatPath(i.path)}: ${i.message}`);
      }
    };
    expect(problems('{"description":"x","steps":[{"id":"a","tool":"t"},{"id":"b","tool":"t","dependsOn":["nope"]}]}')).toEqual([expect.stringMatching(/^steps\[1\]\.dependsOn(\[0\])?: .*nope/)]);
    expect(problems('{"description":"x","steps":[{"tool":"t"}],"approval":{"quorum":0}}')[0]).toMatch(/^approval\.quorum: /);
    expect(problems('{"description":"","steps":[{"id":"a","tool":"t","dependsOn":["nope"]}],"approval":{"quorum":0}}')).toEqual([expect.stringMatching(/^description: /), expect.stringMatching(/^approval\.quorum: /)]);
    expect(problems('{"description":"x","steps":[{"id":"a","tool":"t","dependsOn":["nope"]}],"approval":{"quorum":0}}')).toEqual([expect.stringMatching(/^steps\[0\]\.dependsOn(\[0\])?: .*nope/), expect.stringMatching(/^approval\.quorum: /)]);
    expect(() => parsePlanFile("[1]")).toThrow(/JSON object/);
    expect(parsePlanFile('{"description":"x","steps":[{"tool":"t"}],"approval":{"quorum":2}}')).toMatchObject({ plan: { steps: [{ id: "step-1", tool: "t" }] }, approval: { quorum: 2 } });
  });

  it("maps errors and final statuses to the documented exit codes", () => {
    expect(exitCodeForError(new PlanroomError("VALIDATION", "x"))).toBe(2);
    expect(exitCodeForError(new PlanroomError("NOT_FOUND", "x"))).toBe(2);
    expect(exitCodeForError(new PlanroomError("UNAUTHENTICATED", "x"))).toBe(3);
    expect(exitCodeForError(new PlanroomError("TIMEOUT", "x"))).toBe(3);
    expect(exitCodeForStatus("completed")).toBe(0);
    for (const s of ["failed", "cancelled", "rejected", "expired"] as const) expect(exitCodeForStatus(s)).toBe(1);
    expect(parseStatuses("pending_approval, executing")).toEqual(["pending_approval", "executing"]);
    expect(() => parseStatuses("sleeping")).toThrow(/unknown status/);
  });
});

describe("a step waiting for its agent, in the CLI", () => {
  const log = new PlanLog("p1", { description: "d", steps: [{ id: "a", tool: "deploy" }, { id: "b", tool: "local" }] }, { tools: ["deploy"] });
  log.append({ type: "plan.approved", data: { by: ["r"] } });
  log.append({ type: "plan.started", data: { run: 1 } });
  log.append({ type: "step.started", data: { stepId: "a", attempt: 1 } });
  const waiting = log.append({ type: "step.waiting", data: { stepId: "a", attempt: 1, reason: "agent", tool: "deploy" } });

  it("marks the wait and the resume in the event lines", () => {
    expect(eventLine(waiting, plain)).toBe("… Step a is waiting for its agent to connect and run deploy; its timeout is paused");
    const resumed = { planId: "p1", seq: 99, at: 5, type: "step.resumed", data: { stepId: "a", attempt: 1, waitedMs: 1_500 } } as PlanEvent;
    expect(eventLine(resumed, plain)).toBe("▶ Step a resumed after waiting 1.5 s for its agent");
  });

  it("lists the waiting step in show's outcomes and when a follow starts", () => {
    expect(stepOutcomeLines(log.state.plan, plain)).toEqual(["  … a: waiting for agent (tool deploy)"]);
    expect(waitingLines(log.state.plan, plain)).toEqual(["  … a: waiting for agent (tool deploy)"]);
  });

  it("warns about the tools no socket serves when a run starts, and says nothing when all are served", () => {
    expect(unservedToolsLine(["deploy"])).toBe("warning: no connected agent serves deploy; the steps that call it wait for the agent, then fail with AGENT_DISCONNECTED if it does not connect in time");
    expect(unservedToolsLine(["a", "b"])).toContain("serves a, b; the steps that call them");
    expect(unservedToolsLine(undefined)).toBeUndefined();
    expect(unservedToolsLine([])).toBeUndefined();
  });
});
