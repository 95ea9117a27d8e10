import fs from "node:fs";
import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { syncBuiltinESMExports } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { PlanEvent } from "../../../../shared/index.js";
import { defaultDescriptorBudget } from "../../../../server/store/file/fd-cache.js";
import { createFileStore, type FileStore } from "../../../../server/store/file/file-store.js";
import { PlanEvents } from "../plan-events.js";
import { storedStates } from "../../../support/stored-states.js";

let root: string;
const open: FileStore[] = [];

async function openStore(dir: string, maxOpenFiles: number): Promise<FileStore> {
  const store = createFileStore({ dir, maxOpenFiles });
  await store.open();
  open.push(store);
  return store;
}

async function openFds(): Promise<number> {
  return (await readdir("/proc/self/fd")).length;
}

/** `writers` plans appended to at once, each one event at a time (awaiting each), `events` each. */
async function write(store: FileStore, writers: number, events: number): Promise<Map<string, PlanEvent[]>> {
  const written = new Map<string, PlanEvent[]>();
  await Promise.all(
    Array.from({ length: writers }, async (_, i) => {
      const p = new PlanEvents(`w-${i}`);
      const mine: PlanEvent[] = [];
      written.set(p.planId, mine);
      for (let k = 0; k < events; k++) {
        const event = k === 0 ? p.submitted() : p.vote(`r${k}`);
        await store.append([event]);
        mine.push(event);
      }
    }),
  );
  return written;
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "planroom-many-writers-"));
});

afterEach(async () => {
  vi.restoreAllMocks();
  syncBuiltinESMExports();
  for (const store of open.splice(0)) await store.close().catch(() => undefined);
  await rm(root, { recursive: true, force: true });
});

describe("file store with more concurrent writers than descriptors", () => {
  it("keeps every event of every writer, in order, after a reopen and after a crash", { timeout: 20_000 }, async () => {
    const dir = join(root, "data");
    const before = await openFds();
    const store = await openStore(dir, 8);
    const written = await write(store, 300, 6);
    // the budget, the write-ahead segment, the lock; the rest of the process may open a few more
    expect((await openFds()) - before).toBeLessThan(8 + 8);
    const image = join(root, "crash");
    await cp(dir, image, { recursive: true });
    for (const [planId, events] of written) expect(await store.readEvents(planId)).toEqual(events);
    await store.close();
    open.splice(open.indexOf(store), 1);

    for (const copy of [dir, image]) {
      const again = await openStore(copy, 8);
      expect(new Set((await storedStates(again)).map((s) => s.plan.id))).toEqual(new Set(written.keys()));
      for (const [planId, events] of written) expect(await again.readEvents(planId)).toEqual(events);
    }
  });

  it("opens and closes no file synchronously while committing", { timeout: 20_000 }, async () => {
    const store = await openStore(join(root, "data"), 4);
    const openSync = vi.spyOn(fs, "openSync");
    const closeSync = vi.spyOn(fs, "closeSync");
    syncBuiltinESMExports(); // the store imports the named exports: make them the spies
    const named = await import("node:fs");
    named.closeSync(named.openSync(join(root, "probe"), "w"));
    expect([openSync.mock.calls.length, closeSync.mock.calls.length]).toEqual([1, 1]); // the spies do see named imports
    openSync.mockClear();
    closeSync.mockClear();

    const written = await write(store, 100, 3);
    expect(store.stats.events).toBe(300);
    expect(openSync).not.toHaveBeenCalled();
    expect(closeSync).not.toHaveBeenCalled();
    for (const [planId, events] of written) expect(await store.readEvents(planId)).toEqual(events);
  });
});

describe("default descriptor budget", () => {
  const limits = (soft: string) => `Limit                     Soft Limit           Hard Limit           Units\nMax open files            ${soft}                ${soft}                files\n`;

  it("is a quarter of the open-file limit, between 256 and 16,384", () => {
    expect(defaultDescriptorBudget(limits("20000"))).toBe(5_000);
    expect(defaultDescriptorBudget(limits("1024"))).toBe(256);
    expect(defaultDescriptorBudget(limits("1048576"))).toBe(16_384);
    expect(defaultDescriptorBudget(limits("unlimited"))).toBe(16_384);
    expect(defaultDescriptorBudget("no such line")).toBe(256);
    expect(defaultDescriptorBudget()).toBeGreaterThanOrEqual(256);
  });
});
