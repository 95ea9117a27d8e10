import { appendFile, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFileStore, type FileStore, type FileStoreOptions } from "../../../../server/store/file/file-store.js";
import type { PlanPage, PlanQuery } from "../../../../server/store/plan-query.js";
import { PlanEvents } from "../plan-events.js";

let root: string;
const opened: FileStore[] = [];

async function openStore(dir: string, options: Omit<FileStoreOptions, "dir"> = {}): Promise<FileStore> {
  const store = createFileStore({ dir, ...options });
  await store.open();
  opened.push(store);
  return store;
}

async function closeStore(store: FileStore): Promise<void> {
  await store.close();
  opened.splice(opened.indexOf(store), 1);
}

/** Plans in every state: 3 completed, 1 rejected, 2 pending (one with a vote), by two agents. */
async function writePlans(store: FileStore): Promise<void> {
  for (let i = 0; i < 6; i++) {
    const p = new PlanEvents(`plan-${i}`, () => 1_700_000_000_000 + i * 1_000);
    const events = [p.submitted({ submittedBy: i % 2 ? { id: "agent-2", name: "B" } : { id: "agent-1", name: "A" } })];
    if (i < 3) events.push(p.vote(), ...p.run());
    else if (i === 3) events.push(p.vote("rev-1", "reject"), p.rejected());
    else if (i === 4) events.push(p.vote("rev-2"));
    await store.append(events);
  }
}

/** Every answer a list could ask for: all pages of a few queries, and the counts. */
async function answers(store: FileStore): Promise<unknown> {
  const queries: PlanQuery[] = [{ limit: 2 }, { limit: 10, status: ["pending_approval"] }, { limit: 10, submittedBy: "agent-2" }];
  const out: PlanPage[][] = [];
  for (const query of queries) {
    const pages: PlanPage[] = [];
    for (let page = await store.queryPlans(query); ; page = await store.queryPlans({ ...query, after: page.next })) {
      pages.push(page);
      if (!page.next) break;
    }
    out.push(pages);
  }
  return { out, counts: Object.fromEntries(await store.countPlans()) };
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "planroom-plan-index-"));
});

afterEach(async () => {
  for (const store of opened.splice(0)) await store.close().catch(() => undefined);
  await rm(root, { recursive: true, force: true });
});

describe("file store plan index", () => {
  it("rebuilds a deleted index from the logs, with the same answers", async () => {
    const dir = join(root, "data");
    const store = await openStore(dir);
    await writePlans(store);
    const before = await answers(store);
    expect((before as { counts: unknown }).counts).toEqual({ completed: 3, rejected: 1, pending_approval: 2 });
    await closeStore(store);
    await rm(join(dir, "plan-index.jsonl"));
    const rebuilt: [string, number][] = [];
    const again = await openStore(dir, { onIndexRebuilt: (why, plans) => rebuilt.push([why, plans]) });
    expect(rebuilt).toEqual([["no plan index", 6]]);
    expect(await answers(again)).toEqual(before);
    // the rebuilt index is written: the next start reads it
    await closeStore(again);
    const third = await openStore(dir, { onIndexRebuilt: (why, plans) => rebuilt.push([why, plans]) });
    expect(rebuilt).toHaveLength(1);
    expect(await answers(third)).toEqual(before);
  });

  it("rebuilds a damaged index; drops a torn last line without a rebuild", async () => {
    const dir = join(root, "data");
    const store = await openStore(dir);
    await writePlans(store);
    const before = await answers(store);
    await closeStore(store);
    const path = join(dir, "plan-index.jsonl");
    const good = await readFile(path, "utf8");

    await appendFile(path, '{"row":{"id":"plan-1","sta');
    const rebuilt: string[] = [];
    const torn = await openStore(dir, { onIndexRebuilt: (why) => rebuilt.push(why) });
    expect(rebuilt).toEqual([]);
    expect(await answers(torn)).toEqual(before);
    await closeStore(torn);
    expect(await readFile(path, "utf8")).toBe(good); // cut back to its good lines

    const lines = good.split("\n");
    lines[2] = "{not an entry";
    await writeFile(path, lines.join("\n"));
    const damaged = await openStore(dir, { onIndexRebuilt: (why) => rebuilt.push(why) });
    expect(rebuilt).toEqual(["the plan index is damaged: line 3: not JSON"]);
    expect(await answers(damaged)).toEqual(before);
  });

  it("corrects entries that lag behind the log after a crash, from the write-ahead segment", async () => {
    const dir = join(root, "data");
    const store = await openStore(dir);
    const p = new PlanEvents("late");
    await store.append([p.submitted(), p.vote()]);
    await store.flush(); // the index on disk has it pending
    await store.append(p.run());
    const image = join(root, "crash");
    await cp(dir, image, { recursive: true }); // the completion is in the segment, not in the index file
    const recovered = await openStore(image);
    const [entry] = (await recovered.queryPlans({ limit: 1 })).plans;
    expect(entry?.row).toMatchObject({ id: "late", status: "completed", seq: 9, finished: 2 });
  });

  it("makes the index correct for the replayed plans before it deletes their segments: a second crash loses nothing", async () => {
    const dir = join(root, "data");
    const store = await openStore(dir);
    await store.flush();
    const p = new PlanEvents("crashed");
    await store.append([p.submitted(), p.vote(), ...p.run()]); // in the segment; the index file does not have it
    const first = join(root, "crash-1");
    await cp(dir, first, { recursive: true });
    const recovered = await openStore(first);
    expect((await recovered.queryPlans({ limit: 5 })).plans.map((e) => [e.row.id, e.row.status])).toEqual([["crashed", "completed"]]);
    const second = join(root, "crash-2");
    await cp(first, second, { recursive: true }); // crashed again at once, the segments already gone
    expect(await readdir(join(second, "wal"))).toHaveLength(1); // only the fresh, empty one
    const again = await openStore(second);
    expect((await again.queryPlans({ limit: 5 })).plans.map((e) => [e.row.id, e.row.status])).toEqual([["crashed", "completed"]]);
  });

  it("writes a plan file only with lines its segment holds durably: appends leave the files alone, reads merge what is held back", async () => {
    const dir = join(root, "data");
    const store = await openStore(dir);
    const p = new PlanEvents("held");
    const events = [p.submitted(), p.vote(), ...p.run()];
    await store.append(events.slice(0, 2));
    await store.append(events.slice(2));
    expect(await readdir(join(dir, "events"))).toEqual([]); // in the segment only
    expect(await store.readEvents("held")).toEqual(events);
    expect(await store.readEvents("held", 7, 1)).toEqual(events.slice(7, 8));
    await closeStore(store);
    expect((await readFile(join(dir, "events", "held.jsonl"), "utf8")).trim().split("\n")).toHaveLength(9);
    expect(await readdir(join(dir, "wal"))).toEqual([]);
    const again = await openStore(dir, { onIndexRebuilt: () => expect.unreachable("the index was written") });
    expect(await again.readEvents("held")).toEqual(events);
  });

  it("keeps finished plans' rows on disk once written, and brings them up to date when an event reaches one", async () => {
    const dir = join(root, "data");
    const store = await openStore(dir);
    const p = new PlanEvents("done");
    await store.append([p.submitted(), p.vote(), ...p.run()]);
    await store.flush(); // written: the row of the finished plan is let go
    await store.append([p.vote("rev-2")]); // reaches the plan without loading it
    const expected = { id: "done", status: "completed", seq: 10, approvals: 2, votes: [{ voterId: "rev-1", decision: "approve" }, { voterId: "rev-2", decision: "approve" }] };
    expect((await store.queryPlans({ limit: 1 })).plans[0]?.row).toMatchObject(expected);
    await store.flush();
    await closeStore(store);
    const again = await openStore(dir);
    expect((await again.queryPlans({ limit: 1 })).plans[0]?.row).toMatchObject(expected);
  });

  it("opens without reading every plan's log: a plan's file is read when the plan is used", async () => {
    const dir = join(root, "data");
    const store = await openStore(dir);
    await writePlans(store);
    await closeStore(store);
    // a log that cannot be read at all (a directory in its place) does not stop the store from opening
    await rm(join(dir, "events", "plan-2.jsonl"));
    await mkdir(join(dir, "events", "plan-2.jsonl"));
    const again = await openStore(dir);
    expect((await again.queryPlans({ limit: 10 })).plans.map((p) => p.row.id)).toContain("plan-2");
    await expect(again.loadPlan("plan-2")).rejects.toThrow();
    expect((await again.loadPlan("plan-1"))?.plan.status).toBe("completed");
  });

  it("drops idle log positions beyond its bound and reads them again when a plan is used", async () => {
    const dir = join(root, "data");
    const store = await openStore(dir, { maxPlanEntries: 8 });
    const plans = Array.from({ length: 40 }, (_, i) => new PlanEvents(`many-${i}`));
    await Promise.all(plans.map((p) => store.append([p.submitted()])));
    await Promise.all(plans.map((p) => store.append([p.vote()])));
    for (const p of plans) expect((await store.readEvents(p.planId)).map((e) => e.seq)).toEqual([1, 2]);
    // a gap is still refused for a plan whose position was dropped: it is read again first
    await expect(store.append([{ ...plans[0]!.vote(), seq: 7 }])).rejects.toMatchObject({ code: "CONFLICT" });
    expect((await store.queryPlans({ limit: 50 })).plans).toHaveLength(40);
  });
});
