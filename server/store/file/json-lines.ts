import { PlanroomError, PlanEventSchema, toIssues, type PlanEvent } from "../../../shared/index.js";

const NEWLINE = 0x0a;

/** The events of a JSON-lines buffer, and how many of its bytes hold complete, good lines. */
export interface ParsedLines {
  events: PlanEvent[];
  /** Bytes of the good prefix: a torn last line starts here (equal to the length when none). */
  goodBytes: number;
  /** Whether a torn last line was found (and left out). */
  torn: boolean;
}

/** Thrown for a log that is damaged before its last line; names the file and line. */
export function corruption(file: string, line: number, why: string): PlanroomError {
  return new PlanroomError("INTERNAL", `corrupt event log ${file}, line ${line}: ${why}`);
}

/**
 * Parses the event lines of `buf`, skipping the first `skipLines` lines unparsed. A last line that
 * is not newline-terminated or not JSON is a torn write: it is left out and reported. A line before
 * it that is not JSON, or any line that is not a valid event, is corruption (an `INTERNAL` error
 * naming `file` and the line number). Lines that end within the first `checkedBytes` are known
 * valid (written from checked events, or checked before) and only parsed, not checked again: the
 * schema check costs about three times the JSON parse. Parsing stops after `maxEvents` events
 * (then `goodBytes` and `torn` describe only what was parsed).
 */
export function parseEventLines(buf: Buffer, file: string, skipLines = 0, checkedBytes = 0, maxEvents = Number.POSITIVE_INFINITY): ParsedLines {
  const events: PlanEvent[] = [];
  let start = 0;
  let line = 0;
  while (start < buf.length && events.length < maxEvents) {
    const end = buf.indexOf(NEWLINE, start);
    line++;
    if (end === -1) return { events, goodBytes: start, torn: true };
    if (line > skipLines) {
      let json: unknown;
      try {
        json = JSON.parse(buf.toString("utf8", start, end));
      } catch {
        if (end + 1 >= buf.length) return { events, goodBytes: start, torn: true };
        throw corruption(file, line, "not JSON");
      }
      if (end < checkedBytes) {
        events.push(json as PlanEvent);
        start = end + 1;
        continue;
      }
      const parsed = PlanEventSchema.safeParse(json);
      if (!parsed.success) throw corruption(file, line, `not a valid event: ${toIssues(parsed.error.issues)[0]?.message ?? "?"}`);
      events.push(parsed.data);
    }
    start = end + 1;
  }
  return { events, goodBytes: start, torn: false };
}

/** Serialises an event as one log line (key order fixed, newline-terminated). */
export function eventLine(event: PlanEvent): string {
  const { planId, seq, type, at, actor, data } = event;
  return JSON.stringify({ planId, seq, type, at, actor, data }) + "\n";
}
