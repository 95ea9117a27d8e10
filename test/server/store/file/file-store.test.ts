import { appendFile, cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyEvent, PlanroomError, type PlanEvent, type PlanState } from "../../../../shared/index.js";
import { createFileStore, type FileStore } from "../../../../server/store/file/file-store.js";
import { PlanEvents } from "../plan-events.js";
import { storedStates } from "../../../support/stored-states.js";

let root: string;
const open: FileStore[] = [];

async function openStore(dir: string, options: { maxOpenFiles?: number; segmentBytes?: number } = {}): Promise<FileStore> {
  const store = createFileStore({ dir, ...options });
  await store.open();
  open.push(store);
  return store;
}

async function closeStore(store: FileStore): Promise<void> {
  await store.close();
  open.splice(open.indexOf(store), 1);
}

/** Copies a data directory as a crash would leave it: whatever reached the files, no close. */
async function crashImage(dir: string): Promise<string> {
  const copy = join(root, `crash-${Math.random().toString(36).slice(2)}`);
  await cp(dir, copy, { recursive: true });
  return copy;
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "planroom-file-store-"));
});

afterEach(async () => {
  for (const store of open.splice(0)) await store.close().catch(() => undefined);
  await rm(root, { recursive: true, force: true });
});

describe("file store", () => {
  it("drops a torn last line on open, truncates it away and loses nothing before it", async () => {
    const dir = join(root, "data");
    let store = await openStore(dir);
    const p = new PlanEvents("p1");
    const events = [p.submitted(), p.vote("r1"), p.vote("r2")];
    await store.append(events);
    await closeStore(store);
    const file = join(dir, "events", "p1.jsonl");
    const size = (await stat(file)).size;
    await appendFile(file, '{"planId":"p1","seq":4,"type":"vote.c');
    store = await openStore(dir);
    expect(await store.readEvents("p1")).toEqual(events);
    expect((await stat(file)).size).toBe(size);
    const next = p.vote("r3");
    await store.append([next]);
    expect(await store.readEvents("p1", 3)).toEqual([next]);
    await closeStore(store);
    // a newline-terminated last line that is not JSON is torn too
    await appendFile(file, "\u0000\u0000garbage\n");
    store = await openStore(dir);
    expect((await store.readEvents("p1")).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
  });

  it("refuses a log with a bad line before the last, naming the file and the line", async () => {
    const dir = join(root, "data");
    let store = await openStore(dir);
    const p = new PlanEvents("p1");
    const events = [p.submitted(), p.vote(), p.vote()];
    await store.append(events);
    await closeStore(store);
    const file = join(dir, "events", "p1.jsonl");
    const good = await readFile(file, "utf8");
    const lines = good.split("\n");
    lines[1] = "{not json";
    await writeFile(file, lines.join("\n"));
    store = await openStore(dir);
    for (const attempt of [store.readEvents("p1"), storedStates(store)]) {
      const error = await attempt.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(PlanroomError);
      expect((error as PlanroomError).message).toContain("p1.jsonl, line 2");
    }
    expect((await store.readEvents("p1", 2)).map((e) => e.seq)).toEqual([3]);
    await closeStore(store);
    await writeFile(file, good);
    store = await openStore(dir);
    expect(await store.readEvents("p1")).toEqual(events);
  });

  it("recovers acknowledged events from the write-ahead segment after a crash, dropping its torn tail", async () => {
    const dir = join(root, "data");
    const store = await openStore(dir);
    const a = new PlanEvents("a");
    const b = new PlanEvents("b");
    const aEvents = [a.submitted(), a.vote("r1"), a.vote("r2")];
    const bEvents = [b.submitted(), ...b.run()];
    await store.append(aEvents);
    await store.append(bEvents);
    const image = await crashImage(dir);
    // nothing reached the plan files (they are written later); a commit was cut in the middle
    expect(await readdir(join(image, "events"))).toEqual([]);
    const [segment] = await readdir(join(image, "wal"));
    await appendFile(join(image, "wal", segment!), '{"planId":"a","seq":4,"ty');
    const recovered = await openStore(image);
    expect(await recovered.readEvents("a")).toEqual(aEvents);
    expect(await recovered.readEvents("b")).toEqual(bEvents);
    expect((await storedStates(recovered)).map((s) => [s.plan.id, s.seq]).sort()).toEqual([
      ["a", 3],
      ["b", 8],
    ]);
    expect(await readdir(join(image, "wal"))).toHaveLength(1); // replayed segments deleted, a fresh one open
  });

  it("group-commits: concurrent appends of many plans share one write-ahead write and one fsync", async () => {
    const store = await openStore(join(root, "data"));
    const plans = Array.from({ length: 100 }, (_, i) => new PlanEvents(`p${i}`));
    const appends: Promise<void>[] = [];
    for (const p of plans) appends.push(store.append([p.submitted()]), store.append([p.vote()]));
    await Promise.all(appends);
    expect(store.stats).toMatchObject({ batches: 1, fsyncs: 1, appends: 200, events: 200 });
    // appends arriving during a commit go into the next one
    const later = plans.map((p) => store.append([p.vote("r2")]));
    await Promise.all(later);
    expect(store.stats.batches).toBeLessThanOrEqual(3);
    expect(store.stats.events).toBe(300);
  });

  it("checkpoints full segments: plan files fsynced, old segments deleted, nothing lost", async () => {
    const dir = join(root, "data");
    const store = await openStore(dir, { segmentBytes: 4_096 });
    const p = new PlanEvents("busy");
    const events: PlanEvent[] = [p.submitted()];
    await store.append(events);
    for (let i = 0; i < 60; i++) {
      const event = p.vote(`r${i}`);
      events.push(event);
      await store.append([event]);
    }
    await store.flush();
    expect(store.stats.checkpoints).toBeGreaterThan(0);
    const segments = await readdir(join(dir, "wal"));
    expect(segments.length).toBeLessThanOrEqual(2);
    const image = await crashImage(dir);
    const recovered = await openStore(image);
    expect(await recovered.readEvents("busy")).toEqual(events);
  });

  it("stores 10,000 plans with a bounded number of open files", async () => {
    const dir = join(root, "data");
    const fdsBefore = (await readdir("/proc/self/fd")).length;
    const store = await openStore(dir, { maxOpenFiles: 32 });
    const plans = Array.from({ length: 10_000 }, (_, i) => new PlanEvents(`plan-${i}`));
    await Promise.all(plans.map((p) => store.append([p.submitted()])));
    expect((await readdir("/proc/self/fd")).length - fdsBefore).toBeLessThan(64);
    await Promise.all(plans.slice(0, 500).map((p) => store.append([p.vote()])));
    expect((await readdir("/proc/self/fd")).length - fdsBefore).toBeLessThan(64);
    expect((await store.readEvents("plan-9999")).map((e) => e.seq)).toEqual([1]);
    expect((await store.readEvents("plan-7")).map((e) => e.seq)).toEqual([1, 2]);
    expect((await readdir(join(dir, "events"))).length).toBe(10_000);
  }, 60_000); // ~1 s on an idle disk; creating 10,000 files is slow when the disk is shared

  it("writes the plan index off the hot path, on flush", async () => {
    const dir = join(root, "data");
    const store = await openStore(dir, {});
    const p = new PlanEvents("indexed");
    await store.append([p.submitted(), ...p.run()]);
    const journal = (): Promise<string[]> => readFile(join(dir, "plan-index.jsonl"), "utf8").then((text) => text.trim().split("\n"));
    expect(await journal()).toHaveLength(1); // the header only: nothing written per event
    // the index in memory has it at once
    expect((await store.queryPlans({ limit: 5 })).plans.map((p) => [p.row.id, p.row.status, p.row.seq])).toEqual([["indexed", "completed", 8]]);
    await store.flush();
    const lines = await journal();
    // the last line: the plan's keys, a tab, its row
    const [keys, row] = lines[lines.length - 1]!.split("\t");
    expect(JSON.parse(keys!)).toEqual(["e", "indexed", 1_700_000_000_000, "completed", 8, 1, 0, 0]);
    expect(JSON.parse(row!)).toMatchObject({ id: "indexed", status: "completed", seq: 8, submittedBy: { id: "agent-1", name: "Agent" } });
  });

  it("lets one store at a time open a data directory", async () => {
    const dir = join(root, "data");
    await openStore(dir);
    const error = await createFileStore({ dir }).open().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as PlanroomError).code).toBe("CONFLICT");
  });

  it("rejects reads of an invalid plan id", async () => {
    const store = await openStore(join(root, "data"));
    await expect(store.readEvents("../escape")).rejects.toMatchObject({ code: "VALIDATION" });
  });
});

describe("file store shutdown", () => {
  it("lets appends in flight finish on close and still writes the snapshots they trigger", async () => {
    const dir = await mkdtemp(join(tmpdir(), "planroom-file-store-close-"));
    try {
      const store = createFileStore({ dir });
      await store.open();
      const p = new PlanEvents("closing");
      const events = [p.submitted(), p.vote("r1")];
      const appended = store.append(events).then(() => {
        let state: PlanState | undefined;
        for (const e of events) state = applyEvent(state, structuredClone(e));
        store.saveSnapshot(state!);
      });
      await store.close();
      await appended;
      const snapshot = JSON.parse(await readFile(join(dir, "snapshots", "closing.json"), "utf8")) as { seq: number };
      expect(snapshot.seq).toBe(2);
      await expect(store.append([p.vote("r2")])).rejects.toMatchObject({ code: "INVALID_STATE" });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
