import { readFile, truncate } from "node:fs/promises";
import type { PlanEvent } from "../../shared/index.js";
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
 * holding seq `k`. A torn last line is left out; with `repair` the file is truncated to the last
 * good line. `limit` reads only that many bytes (the durable part of a file being appended to);
 * `afterSeq` skips that many lines unparsed.
 */
export async function readPlanLogFile(
  path: string,
  planId: string,
  options: { afterSeq?: number; limit?: number; repair?: boolean } = {},
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
  if (parsed.torn && options.repair) await truncate(path, parsed.goodBytes);
  return { events: parsed.events, size: parsed.goodBytes, torn: parsed.torn };
}
