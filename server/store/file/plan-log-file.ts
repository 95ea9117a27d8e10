import { readFile, truncate } from "node:fs/promises";
import type { PlanEvent } from "../../../shared/index.js";
import { corruption, parseEventLines } from "./json-lines.js";

/** What is known of one plan's log file after reading it. */
export interface PlanLogFile {
  events: PlanEvent[];
  /** Bytes of good lines (the file's size once a torn tail is dropped). */
  size: number;
  torn: boolean;
}

/**
 * Reads a plan's log file (`<planId>.jsonl`): every line must be an event of that plan, line `k`
 * holding seq `k`. A torn last line is left out (open truncates it: {@link scanPlanLogFile}). `limit` reads only that many bytes (the durable part of a file being appended to);
 * `afterSeq` skips that many lines unparsed.
 */
export async function readPlanLogFile(
  path: string,
  planId: string,
  options: { afterSeq?: number; limit?: number } = {},
): Promise<PlanLogFile> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { events: [], size: 0, torn: false };
    throw error;
  }
  if (options.limit !== undefined) buf = buf.subarray(0, options.limit);
  const afterSeq = options.afterSeq ?? 0;
  const parsed = parseEventLines(buf, path, afterSeq);
  let expected = afterSeq + 1;
  for (const event of parsed.events) {
    if (event.planId !== planId) throw corruption(path, expected, `event of plan ${event.planId}`);
    if (event.seq !== expected) throw corruption(path, expected, `holds seq ${event.seq}`);
    expected++;
  }
  return { events: parsed.events, size: parsed.goodBytes, torn: parsed.torn };
}

/**
 * Finds a plan log's last seq and good size without parsing every line (used on open): lines are
 * counted, and only the last one is parsed. A torn last line (unterminated, or not JSON) is
 * truncated away; a last line that does not hold the expected seq is corruption. Lines before it
 * are checked when they are read.
 */
export async function scanPlanLogFile(path: string, planId: string): Promise<{ lastSeq: number; size: number }> {
  const buf = await readFile(path);
  let size = buf.length;
  if (size > 0 && buf[size - 1] !== 0x0a) size = buf.lastIndexOf(0x0a, size - 1) + 1;
  let lastSeq = 0;
  for (let at = buf.indexOf(0x0a); at !== -1 && at < size; at = buf.indexOf(0x0a, at + 1)) lastSeq++;
  if (lastSeq > 0) {
    const start = buf.lastIndexOf(0x0a, size - 2) + 1;
    let event: { planId?: unknown; seq?: unknown } | undefined;
    try {
      event = JSON.parse(buf.toString("utf8", start, size - 1)) as typeof event;
    } catch {
      size = start; // torn: a newline-terminated last line that is not JSON
      lastSeq--;
    }
    if (event && (event.planId !== planId || event.seq !== lastSeq)) throw corruption(path, lastSeq, `holds seq ${String(event.seq)} of plan ${String(event.planId)}`);
  }
  if (size < buf.length) await truncate(path, size);
  return { lastSeq, size };
}
