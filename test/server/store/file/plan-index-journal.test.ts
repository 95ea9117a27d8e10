import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PlanIndexJournal } from "../../../../server/store/file/plan-index-journal.js";
import { PlanIndexTable, type IndexEntry } from "../../../../server/store/plan-index-table.js";
import { PlanEvents } from "../plan-events.js";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "planroom-journal-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A table of `count` plans, every third one finished, by two submitters under two policies. */
function tableOf(count: number): PlanIndexTable {
  const table = new PlanIndexTable();
  for (let i = 0; i < count; i++) {
    const p = new PlanEvents(`p${i}`, () => 1_700_000_000_000 + i);
    const events = [p.submitted({ submittedBy: { id: `agent-${i % 2}`, name: `Agent ${i % 2}` }, reviewers: i % 2 ? ["alice"] : ["reviewer"] })];
    if (i % 3 === 0) events.push(p.vote(), ...p.run());
    table.apply(events);
  }
  return table;
}

async function rowsOf(journal: PlanIndexJournal, entries: readonly IndexEntry[]): Promise<unknown[]> {
  return Promise.all(entries.map((e) => journal.readRow(e)));
}

describe("plan index journal", () => {
  it("reads back the keys of what it appended, and each row from where it is on disk", async () => {
    const table = tableOf(20);
    const journal = new PlanIndexJournal(dir);
    await journal.append(table.entries().slice(0, 12));
    await journal.append(table.entries().slice(12));
    const read = await new PlanIndexJournal(dir).read();
    if (read.found !== "entries") throw new Error(`not read: ${read.found}`);
    const byId = new Map(read.entries.map((e) => [e.id, e]));
    for (const entry of table.entries()) {
      const back = byId.get(entry.id)!;
      expect({ ...back, row: undefined, stored: undefined }).toEqual({ ...entry, row: undefined, stored: undefined });
      expect(back.row).toBeUndefined();
      expect(await journal.readRow(back)).toEqual(entry.row);
    }
    await journal.close();
  });

  it("rewrites with rows kept on disk copied over; reads afterwards find them at their new places", async () => {
    const table = tableOf(30);
    const expected = table.entries().map((e) => structuredClone(e.row));
    const first = new PlanIndexJournal(dir);
    for (let round = 0; round < 3; round++) await first.append(table.entries()); // superseded lines
    await first.close();
    const journal = new PlanIndexJournal(dir);
    const read = await journal.read();
    if (read.found !== "entries") throw new Error(`not read: ${read.found}`);
    const sizeBefore = (await readFile(join(dir, "plan-index.jsonl"))).length;
    await journal.rewrite(read.entries);
    expect((await readFile(join(dir, "plan-index.jsonl"))).length).toBeLessThan(sizeBefore / 2);
    expect(await rowsOf(journal, read.entries)).toEqual(expected);
    const again = await new PlanIndexJournal(dir).read();
    if (again.found !== "entries") throw new Error(`not read: ${again.found}`);
    expect(await rowsOf(journal, again.entries)).toEqual(expected);
    await journal.close();
  });

  it("cuts a torn last line off and reports a damaged one before it", async () => {
    const table = tableOf(3);
    const journal = new PlanIndexJournal(dir);
    await journal.append(table.entries());
    await journal.close();
    const path = join(dir, "plan-index.jsonl");
    const good = await readFile(path, "utf8");
    await appendFile(path, '["e","p9",17');
    const torn = await new PlanIndexJournal(dir).read();
    expect(torn.found).toBe("entries");
    expect(await readFile(path, "utf8")).toBe(good);
    const lines = good.split("\n");
    lines[1] = '["p",7,{}]';
    await writeFile(path, lines.join("\n"));
    expect(await new PlanIndexJournal(dir).read()).toEqual({ found: "damaged", why: "line 2: not a policy" });
    await writeFile(path, "");
    expect((await new PlanIndexJournal(dir).read()).found).toBe("damaged");
    await rm(path);
    expect(await new PlanIndexJournal(dir).read()).toEqual({ found: "missing" });
  });

  it("reads a row asked for during a rewrite at its new place", async () => {
    const table = tableOf(40);
    const first = new PlanIndexJournal(dir);
    for (let round = 0; round < 3; round++) await first.append(table.entries());
    await first.close();
    const journal = new PlanIndexJournal(dir);
    const read = await journal.read();
    if (read.found !== "entries") throw new Error(`not read: ${read.found}`);
    const rewriting = journal.rewrite(read.entries);
    const rows = rowsOf(journal, read.entries); // asked for while the rewrite runs
    await rewriting;
    expect(await rows).toEqual(table.entries().map((e) => e.row));
    await journal.close();
  });

  it("after a failed rewrite, appends keep the numbering of the file that is still there", async () => {
    const table = tableOf(4);
    const journal = new PlanIndexJournal(dir);
    await journal.append(table.entries());
    const blocker = join(dir, `plan-index.jsonl.${process.pid}.tmp`);
    await mkdir(blocker); // the rewrite's temporary file cannot be created
    await expect(journal.rewrite(table.entries())).rejects.toThrow();
    await rm(blocker, { recursive: true });
    expect(journal.wantsRewrite(table.size)).toBe(true);
    const later = new PlanEvents("later");
    table.apply([later.submitted({ submittedBy: { id: "agent-9", name: "Nine" }, reviewers: ["bob"] })]);
    await journal.append([table.get("later")!]);
    await journal.close();
    const read = await new PlanIndexJournal(dir).read();
    if (read.found !== "entries") throw new Error(`not read: ${read.found}`);
    const back = read.entries.find((e) => e.id === "later")!;
    expect(back.policy.reviewers).toEqual(["bob"]);
    expect(back.submittedBy).toEqual({ id: "agent-9", name: "Nine" });
    expect(read.entries.find((e) => e.id === "p1")!.policy.reviewers).toEqual(["alice"]);
  });
});
