import { readFile } from "node:fs/promises";
import type { PlanEvent } from "../../../shared/index.js";
import { corruption, parseEventLines } from "./json-lines.js";

const NEWLINE = 0x0a;

/** A plan's log file (`<planId>.jsonl`, line `k` holding seq `k`) as read from disk; undefined when there is none. */
export async function readPlanLogBuffer(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * A plan log's last seq and good size, without parsing every line: lines are counted, and only the
 * last one is parsed. A torn last line (unterminated, or not JSON) is left out of `size` (the caller
 * truncates the file to it); a last line that does not hold the expected seq is corruption. Lines
 * before it are checked when they are read ({@link parsePlanLog}).
 */
export function scanPlanLog(buf: Buffer, path: string, planId: string): { lastSeq: number; size: number } {
  let size = buf.length;
  if (size > 0 && buf[size - 1] !== NEWLINE) size = buf.lastIndexOf(NEWLINE, size - 1) + 1;
  let lastSeq = 0;
  for (let at = buf.indexOf(NEWLINE); at !== -1 && at < size; at = buf.indexOf(NEWLINE, at + 1)) lastSeq++;
  if (lastSeq > 0) {
    const start = buf.lastIndexOf(NEWLINE, size - 2) + 1;
    let event: { planId?: unknown; seq?: unknown } | undefined;
    try {
      event = JSON.parse(buf.toString("utf8", start, size - 1)) as typeof event;
    } catch {
      size = start; // torn: a newline-terminated last line that is not JSON
      lastSeq--;
    }
    if (event && (event.planId !== planId || event.seq !== lastSeq)) throw corruption(path, lastSeq, `holds seq ${String(event.seq)} of plan ${String(event.planId)}`);
  }
  return { lastSeq, size };
}

/**
 * The events of a plan log with seq > `afterSeq` among its first `limit` bytes (the durable part of
 * a file being appended to), each validated: every line must be an event of that plan, line `k`
 * holding seq `k`. The `afterSeq` lines before them are skipped unparsed; lines within the first
 * `checkedBytes` (known valid) are parsed without the schema check; at most `maxEvents` are parsed.
 */
export function parsePlanLog(buf: Buffer, path: string, planId: string, options: { afterSeq: number; limit: number; checkedBytes?: number; maxEvents?: number | undefined }): PlanEvent[] {
  const parsed = parseEventLines(buf.subarray(0, options.limit), path, options.afterSeq, options.checkedBytes, options.maxEvents);
  let expected = options.afterSeq + 1;
  for (const event of parsed.events) {
    if (event.planId !== planId) throw corruption(path, expected, `event of plan ${event.planId}`);
    if (event.seq !== expected) throw corruption(path, expected, `holds seq ${event.seq}`);
    expected++;
  }
  return parsed.events;
}
