import { describe, expect, it } from "vitest";
import type { PlanStatus } from "../../../shared/index.js";
import { PlanIndexTable } from "../../../server/store/plan-index-table.js";
import { comparePositions, matchesPlanQuery, type PlanQuery } from "../../../server/store/plan-query.js";
import { seededRandom } from "../../support/seeded-random.js";
import { PlanEvents } from "./plan-events.js";

const STATUSES: PlanStatus[] = ["pending_approval", "completed", "rejected"];

/** Random plans: random submitters, reviewers, creation times (with ties), and fates. */
function randomTable(seed: number, count: number): PlanIndexTable {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const table = new PlanIndexTable();
  for (let i = 0; i < count; i++) {
    const createdAt = 1_700_000_000_000 + Math.floor(random() * count) * 1_000; // ties, and not in order
    const p = new PlanEvents(`plan-${i}`, () => createdAt);
    const events = [p.submitted({ submittedBy: { id: pick(["a1", "a2", "a3"]), name: "Agent" }, reviewers: pick([["reviewer"], ["alice"], ["bob", "agent"], ["alice", "reviewer"]]) })];
    const fate = pick(STATUSES);
    if (fate === "completed") events.push(p.vote(), ...p.run());
    if (fate === "rejected") events.push(p.vote("rev-1", "reject"), p.rejected());
    table.apply(events);
  }
  return table;
}

describe("plan index table", () => {
  it("answers every query as filtering and sorting all plans would, page after page", () => {
    const table = randomTable(7, 400);
    const all = [...table.entries()];
    const queries: Omit<PlanQuery, "limit">[] = [
      {},
      { status: ["pending_approval"] },
      { status: ["completed", "rejected"] },
      { submittedBy: "a2" },
      { submittedBy: "a2", status: ["completed"] },
      { visibleTo: { id: "alice", roles: [] } },
      { visibleTo: { id: "a1", roles: ["agent"] } },
      { visibleTo: { id: "watcher", roles: ["observer"] } },
      { votableBy: { principal: { id: "alice", roles: ["reviewer"] }, voterRoles: ["reviewer"] } },
      { votableBy: { principal: { id: "a1", roles: ["reviewer"] }, voterRoles: ["reviewer"] } },
      { createdFrom: 1_700_000_100_000, createdBefore: 1_700_000_300_000 },
      { visibleTo: { id: "bob", roles: ["reviewer"] }, createdBefore: 1_700_000_200_000 },
    ];
    for (const query of queries) {
      const expected = all
        .filter((e) => matchesPlanQuery(e, { ...query, limit: 1 }))
        .sort(comparePositions)
        .map((e) => e.id);
      for (const limit of [1, 7, 50, 500]) {
        const got: string[] = [];
        let after: PlanQuery["after"];
        for (let pages = 0; pages < 1_000; pages++) {
          const page = table.query({ ...query, limit, ...(after ? { after } : {}) });
          expect(page.entries.length).toBeLessThanOrEqual(limit);
          got.push(...page.entries.map((e) => e.id));
          if (!page.next) break;
          after = page.next;
        }
        expect(got, `${JSON.stringify(query)} limit ${limit}`).toEqual(expected);
      }
    }
  });

  it("moves a plan between status lists and counts statuses as its events arrive; replaceAll gives the same table", () => {
    const table = new PlanIndexTable();
    const p = new PlanEvents("moving");
    table.apply([p.submitted()]);
    expect(Object.fromEntries(table.statusCounts())).toEqual({ pending_approval: 1 });
    expect(table.query({ limit: 5, status: ["pending_approval"] }).entries.map((e) => e.id)).toEqual(["moving"]);
    const vote = p.vote();
    const [approved, ...rest] = p.run();
    table.apply([vote, approved!]);
    expect(Object.fromEntries(table.statusCounts())).toEqual({ approved: 1 });
    expect(table.query({ limit: 5, status: ["pending_approval"] }).entries).toEqual([]);
    table.apply(rest);
    expect(table.get("moving")).toMatchObject({ status: "completed", seq: 9, row: { status: "completed", finished: 2, progress: 100 } });
    // an event already folded in changes nothing
    expect(table.apply([approved!]).size).toBe(0);

    const random = randomTable(3, 200);
    const copy = new PlanIndexTable();
    copy.replaceAll([...random.entries()].reverse().map((e) => ({ ...e })));
    for (const query of [{ limit: 500 }, { limit: 500, status: ["completed" as const] }, { limit: 500, visibleTo: { id: "alice", roles: [] } }]) {
      expect(copy.query(query).entries.map((e) => e.id)).toEqual(random.query(query).entries.map((e) => e.id));
    }
    expect(copy.statusCounts()).toEqual(random.statusCounts());
  });
});
