import { appendFile, open, readdir, readFile, truncate, unlink } from "node:fs/promises";
import { join } from "node:path";
import { fsyncDir } from "./atomic-file.js";
import { corruption, eventLine, parseEventLines } from "./json-lines.js";

/** The part of a plan's log entry that replay reads and moves forward. */
interface ReplayEntry {
  lastSeq: number;
  durableSeq: number;
  durableSize: number;
  writtenSize: number;
}

/**
 * Replays the write-ahead segments left by a crash into the plan files: events a plan file already
 * holds are skipped, the next ones appended; a gap is corruption. A torn last line of a segment (a
 * commit that never finished, so never acknowledged) is dropped. The plan files written and their
 * directory are fsynced; the segments are deleted by `retire`, which the caller calls once whatever
 * it derives from them is durable too. `entryOf` gives a plan's entry (read from
 * its file when first asked, an empty one for a plan without a file). Returns the number for the
 * next segment, the ids of every plan the segments held, and `retire`.
 */
export async function replayWriteAheadLog(
  walDir: string,
  eventsDir: string,
  entryOf: (planId: string) => Promise<ReplayEntry>,
): Promise<{ nextSegment: number; replayed: number; plans: Set<string>; retire: () => Promise<void> }> {
  const segments = (await readdir(walDir)).filter((n) => n.endsWith(".wal")).sort();
  let next = 1;
  let replayed = 0;
  const touched = new Set<string>();
  const plans = new Set<string>();
  for (const name of segments) {
    next = Math.max(next, Number.parseInt(name, 10) + 1 || next);
    const path = join(walDir, name);
    const parsed = parseEventLines(await readFile(path), path);
    if (parsed.torn) await truncate(path, parsed.goodBytes);
    const texts = new Map<string, string>();
    for (const event of parsed.events) {
      plans.add(event.planId);
      const entry = await entryOf(event.planId);
      if (event.seq <= entry.lastSeq) continue;
      if (event.seq !== entry.lastSeq + 1) {
        throw corruption(path, 0, `plan ${event.planId} jumps from seq ${entry.lastSeq} to ${event.seq}`);
      }
      const line = eventLine(event);
      texts.set(event.planId, (texts.get(event.planId) ?? "") + line);
      entry.lastSeq = entry.durableSeq = event.seq;
      entry.durableSize += Buffer.byteLength(line);
      entry.writtenSize += Buffer.byteLength(line); // appended to the plan file below
      replayed++;
    }
    for (const [planId, text] of texts) {
      await appendFile(join(eventsDir, `${planId}.jsonl`), text);
      touched.add(planId);
    }
  }
  for (const planId of touched) {
    const fh = await open(join(eventsDir, `${planId}.jsonl`), "r");
    try {
      await fh.datasync();
    } finally {
      await fh.close();
    }
  }
  if (touched.size > 0) await fsyncDir(eventsDir);
  const retire = async (): Promise<void> => {
    for (const name of segments) await unlink(join(walDir, name));
    if (segments.length > 0) await fsyncDir(walDir);
  };
  return { nextSegment: next, replayed, plans, retire };
}
