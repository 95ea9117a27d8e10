import pc from "picocolors";
import { describe, expect, it } from "vitest";
import { formatPath } from "../../client/cli/cli-context.js";
import { exitCodeForError, exitCodeForStatus } from "../../client/cli/exit-codes.js";
import { parseStatuses } from "../../client/cli/list-command.js";
import { parsePlanFile } from "../../client/cli/plan-file.js";
import { eventLine, planTable, progressBar } from "../../client/cli/terminal-format.js";
import { PlanroomError } from "../../shared/index.js";
import { PlanLog } from "./plan-log.js";

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

  it("event lines name the step and its tool, with durations", () => {
    const log = new PlanLog("p1");
    const events = log.runToCompletion();
    const state = log.state;
    expect(eventLine(events[3]!, state, plain)).toBe("▶ search (search_files) started");
    expect(eventLine(events[4]!, state, plain)).toBe("✓ search (search_files) completed in 5ms");
    expect(eventLine(events[7]!, state, plain)).toBe("completed in 20ms");
    const vote = { planId: "p1", seq: 10, type: "vote.cast", at: 1, data: { vote: { voterId: "r1", voterName: "Reviewer 1", decision: "reject", comment: "too broad", version: 1, at: 1 } } } as const;
    expect(eventLine(vote, state, plain)).toBe("Reviewer 1 voted reject on version 1: too broad");
  });

  it("the plan table lists id, status, progress and votes", () => {
    const log = new PlanLog("p1");
    const table = planTable([{ id: "p1", description: "Search", status: "pending_approval", version: 1, submittedBy: { id: "a", name: "Agent" }, createdAt: 0, updatedAt: 0, total: 2, finished: 0, progress: 0, approvals: 1, rejections: 0, votes: [{ voterId: "r1", decision: "approve" }], quorum: 2, seq: log.state.seq }], plain);
    expect(table.split("\n")[1]).toMatch(/^p1\s+pending approval\s+0%\s+1\/2\s+Agent\s+Search$/);
    expect(planTable([], plain)).toBe("no plans");
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
    expect(problems('{"description":"x","steps":[],"approval":{"quorum":0}}')[0]).toMatch(/^approval\.quorum: /);
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
