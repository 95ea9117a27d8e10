import { open, rename, stat, truncate, unlink, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { PlanStatusSchema, type ApprovalPolicy, type PlanListItem, type PlanStatus } from "../../../shared/index.js";
import type { IndexEntry, StoredRow } from "../plan-index-table.js";
import { fsyncDir } from "./atomic-file.js";

const HEADER = JSON.stringify({ planroomPlanIndex: 3 });
const STATUSES: ReadonlySet<string> = new Set(PlanStatusSchema.options);
const PLAN_ID = /^[A-Za-z0-9_-]{1,64}$/;
const NEWLINE = 0x0a;
const TAB = 0x09;
/** Bytes read at a time when the journal is read at open. */
const CHUNK = 1024 * 1024;

/** What {@link PlanIndexJournal.read} found. */
export type JournalRead =
  | { found: "entries"; entries: IndexEntry[] }
  /** No journal: a new data directory, or one written before the journal existed. */
  | { found: "missing" }
  /** A journal that cannot be trusted: a bad header, or a damaged line before the last. */
  | { found: "damaged"; why: string };

/** The keys of an entry line: `["e", id, createdAt, status, seq, version, submitter, policy]`. */
type EntryKeys = ["e", string, number, PlanStatus, number, number, number, number];

/**
 * The plan index on disk: `plan-index.jsonl`, a header line and then one line per change of a
 * plan's entry; the last line of a plan wins. An entry line holds the plan's keys (a short JSON
 * array: what lists filter and sort by), a tab, and its list row as JSON; policies and submitters,
 * which plans share, are written once each (`["p", n, policy]`, `["s", n, id, name]`) and named
 * by number.
 *
 * Start-up reads the keys only: the file is read in chunks, each line's keys are parsed, and its
 * row is remembered by where it is (`StoredRow`), read when a list shows the plan
 * ({@link readRow}). So memory holds a few dozen bytes per finished plan.
 *
 * Appending the entries that changed costs what they weigh, whatever the number of plans; when the
 * lines outnumber the plans twice over (plus a margin), the file is rewritten with one line per
 * plan, atomically, so the rewrite's cost is spread over at least as many appends as it writes lines.
 *
 * A cache of the event logs, like the snapshots: a torn last line (a crash during an append) is
 * cut off; a journal that is missing or damaged is rebuilt from the logs by the store. Measured
 * against lowdb's whole-document rewrite (what this replaced) in `bench/README.md`.
 */
export class PlanIndexJournal {
  private readonly path: string;
  private appender: FileHandle | undefined;
  private reader: Promise<FileHandle> | undefined;
  private readonly readsInFlight = new Set<Promise<unknown>>();
  private size = 0;
  private lines = 0;
  /** Whether a failed write may have left part of its lines: only a rewrite makes the file whole again. */
  private broken = false;
  /** A rewrite under way: reads wait for it (rows move). */
  private rewriting: Promise<void> | undefined;
  /** Numbers of the policies and submitters the file defines. */
  private policies = new Map<ApprovalPolicy, number>();
  private submitters = new Map<IndexEntry["submittedBy"], number>();

  constructor(dataDir: string) {
    this.path = join(dataDir, "plan-index.jsonl");
  }

  /** Reads the journal's keys: the entries (last line of each plan wins, rows left on disk), or why there are none. */
  async read(): Promise<JournalRead> {
    let fh: FileHandle;
    try {
      fh = await open(this.path, "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { found: "missing" };
      throw error;
    }
    const policies: ApprovalPolicy[] = [];
    const submitters: IndexEntry["submittedBy"][] = [];
    const byId = new Map<string, IndexEntry>();
    let line = 0;
    /** Bytes of good lines so far. */
    let good = 0;
    let problem: string | undefined;
    try {
      let carry = Buffer.alloc(0);
      let position = 0;
      const chunk = Buffer.alloc(CHUNK);
      for (;;) {
        const { bytesRead } = await fh.read(chunk, 0, CHUNK, position);
        if (bytesRead === 0) break;
        const buf = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
        const base = position - carry.length;
        position += bytesRead;
        let start = 0;
        for (let end = buf.indexOf(NEWLINE); end !== -1; end = buf.indexOf(NEWLINE, start)) {
          if (problem !== undefined) return { found: "damaged", why: `line ${line}: ${problem}` }; // a bad line with lines after it
          line++;
          problem = line === 1 ? (buf.toString("utf8", start, end) === HEADER ? undefined : "not a plan index journal of this version") : readLine(buf, start, end, base, policies, submitters, byId);
          if (line === 1 && problem !== undefined) return { found: "damaged", why: `line 1: ${problem}` };
          if (problem === undefined) good = base + end + 1;
          start = end + 1;
        }
        carry = Buffer.from(buf.subarray(start));
      }
      if (line === 0) return { found: "damaged", why: "empty" };
    } finally {
      await fh.close();
    }
    // A bad last line, or an unterminated one, is a torn append: cut off, so that appends go after the good lines.
    this.size = good;
    if ((await stat(this.path)).size > good) await truncate(this.path, good);
    this.lines = problem === undefined ? line - 1 : line - 2;
    this.policies = new Map(policies.map((p, n) => [p, n]));
    this.submitters = new Map(submitters.map((s, n) => [s, n]));
    return { found: "entries", entries: [...byId.values()] };
  }

  /** Appends the entries' current rows (each must be in memory), makes them durable and notes where each row now is. */
  async append(entries: readonly IndexEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const fh = await this.handle();
    // A failed append leaves the journal `broken`: the next write is a rewrite, numbered afresh.
    const { text, rows } = this.encode(entries, this.size, () => undefined, { policies: this.policies, submitters: this.submitters });
    const bytes = Buffer.from(text);
    try {
      await fh.appendFile(bytes);
      await fh.datasync();
    } catch (error) {
      this.broken = true;
      await this.closeAppender().catch(() => undefined);
      throw error;
    }
    this.size += bytes.length;
    this.lines += rows.length;
    for (const [entry, stored] of rows) entry.stored = stored;
  }

  /**
   * Whether the next write must be a {@link rewrite}: the journal holds enough superseded lines
   * that it is worth it, or a failed append may have left part of its lines.
   */
  wantsRewrite(plans: number): boolean {
    return this.broken || this.lines > 2 * plans + 10_000;
  }

  /**
   * Replaces the journal by one line per entry (atomically, durably): rows in memory are written
   * from memory, the others copied from the current file. Every entry's `stored` then points into
   * the new file; reads wait for the rewrite.
   */
  async rewrite(entries: readonly IndexEntry[]): Promise<void> {
    while (this.rewriting) await this.rewriting;
    let done!: () => void;
    this.rewriting = new Promise<void>((resolve) => (done = resolve));
    // Until the new file is in place, appends would be numbered against a file that may not exist.
    this.broken = true;
    try {
      await this.closeAppender();
      const old = entries.some((e) => !e.row) ? await this.readWhole() : undefined;
      const fromDisk = (stored: StoredRow): Buffer | undefined => old?.subarray(stored.offset, stored.offset + stored.length);
      const numbers = { policies: new Map<ApprovalPolicy, number>(), submitters: new Map<IndexEntry["submittedBy"], number>() };
      const header = HEADER + "\n";
      const { text, rows } = this.encode(entries, Buffer.byteLength(header), fromDisk, numbers);
      const bytes = Buffer.from(header + text);
      const temp = `${this.path}.${process.pid}.tmp`;
      const fh = await open(temp, "w");
      try {
        await fh.writeFile(bytes);
        await fh.datasync();
      } finally {
        await fh.close();
      }
      await rename(temp, this.path);
      await fsyncDir(join(this.path, ".."));
      this.policies = numbers.policies;
      this.submitters = numbers.submitters;
      this.broken = false;
      this.size = bytes.length;
      this.lines = rows.length;
      // Rows move: from here on, reads go to the new file at the new places.
      for (const [entry, stored] of rows) entry.stored = stored;
      this.retireReader();
    } finally {
      this.rewriting = undefined;
      done();
    }
  }

  /** An entry's row kept on disk (at `entry.stored`), parsed. */
  async readRow(entry: Pick<IndexEntry, "stored">): Promise<PlanListItem> {
    while (this.rewriting) await this.rewriting;
    // Taken together, synchronously, after any rewrite: a rewrite moves both at once.
    if (!entry.stored) throw new Error("plan index: the row is not on disk");
    const { offset, length } = entry.stored;
    if (!this.reader) {
      const opening = open(this.path, "r");
      this.reader = opening;
      opening.catch(() => {
        if (this.reader === opening) this.reader = undefined; // the next read tries again
      });
    }
    const reader = this.reader;
    const read = reader.then(async (fh) => {
      const buf = Buffer.alloc(length);
      await fh.read(buf, 0, length, offset);
      return JSON.parse(buf.toString("utf8")) as PlanListItem;
    });
    this.readsInFlight.add(read);
    try {
      return await read;
    } finally {
      this.readsInFlight.delete(read);
    }
  }

  /** Deletes the index of an older layout, if one is there (`index.json`). */
  async removeLegacy(dataDir: string): Promise<void> {
    await unlink(join(dataDir, "index.json")).catch(() => undefined);
  }

  /** Closes the file. */
  async close(): Promise<void> {
    await this.closeAppender();
    this.retireReader();
    await Promise.allSettled([...this.readsInFlight]);
  }

  /** The lines of entries, each preceded by the definitions of policies and submitters the file lacks, and where each row will be. */
  private encode(
    entries: Iterable<IndexEntry>,
    at: number,
    fromDisk: (stored: StoredRow) => Buffer | undefined,
    numbers: { policies: Map<ApprovalPolicy, number>; submitters: Map<IndexEntry["submittedBy"], number> },
  ): { text: string; rows: [IndexEntry, StoredRow][] } {
    let text = "";
    let offset = at;
    const rows: [IndexEntry, StoredRow][] = [];
    const add = (line: string): void => {
      text += line;
      offset += Buffer.byteLength(line);
    };
    for (const entry of entries) {
      let p = numbers.policies.get(entry.policy);
      if (p === undefined) {
        numbers.policies.set(entry.policy, (p = numbers.policies.size));
        add(JSON.stringify(["p", p, entry.policy]) + "\n");
      }
      let s = numbers.submitters.get(entry.submittedBy);
      if (s === undefined) {
        numbers.submitters.set(entry.submittedBy, (s = numbers.submitters.size));
        add(JSON.stringify(["s", s, entry.submittedBy.id, entry.submittedBy.name]) + "\n");
      }
      const keys: EntryKeys = ["e", entry.id, entry.createdAt, entry.status, entry.seq, entry.version, s, p];
      const stored = entry.row ? undefined : entry.stored && fromDisk(entry.stored);
      const row = entry.row ? JSON.stringify(entry.row) : stored?.toString("utf8");
      if (row === undefined) throw new Error(`plan index: no row of plan ${entry.id} to write`);
      add(JSON.stringify(keys) + "\t");
      const length = Buffer.byteLength(row);
      rows.push([entry, { offset, length }]);
      add(row + "\n");
    }
    return { text, rows };
  }

  private async readWhole(): Promise<Buffer> {
    const fh = await open(this.path, "r");
    try {
      return await fh.readFile();
    } finally {
      await fh.close();
    }
  }

  private async handle(): Promise<FileHandle> {
    if (!this.appender) {
      const fh = await open(this.path, "a");
      if ((await fh.stat()).size === 0) {
        await fh.appendFile(HEADER + "\n");
        this.size = Buffer.byteLength(HEADER + "\n");
      }
      this.appender = fh;
    }
    return this.appender;
  }

  private async closeAppender(): Promise<void> {
    const fh = this.appender;
    this.appender = undefined;
    await fh?.close();
  }

  /** Closes the read handle once the reads that use it are done (a rewrite replaced its file). */
  private retireReader(): void {
    const reader = this.reader;
    this.reader = undefined;
    if (reader) void Promise.allSettled([...this.readsInFlight]).then(() => reader.then((fh) => fh.close()).catch(() => undefined));
  }
}

/** Reads one line (`buf[start, end)`) into the tables; returns what is wrong with it, if anything. */
function readLine(
  buf: Buffer,
  start: number,
  end: number,
  base: number,
  policies: ApprovalPolicy[],
  submitters: IndexEntry["submittedBy"][],
  byId: Map<string, IndexEntry>,
): string | undefined {
  const tab = buf.indexOf(TAB, start);
  const keysEnd = tab !== -1 && tab < end ? tab : end;
  let value: unknown;
  try {
    value = JSON.parse(buf.toString("utf8", start, keysEnd));
  } catch {
    return "not JSON";
  }
  if (!Array.isArray(value)) return "not an index line";
  switch (value[0]) {
    case "p": {
      const [, n, policy] = value as [string, unknown, ApprovalPolicy | null];
      if (n !== policies.length || typeof policy !== "object" || policy === null || !Array.isArray(policy.reviewers)) return "not a policy";
      policies.push(policy);
      return undefined;
    }
    case "s": {
      const [, n, id, name] = value as unknown[];
      if (n !== submitters.length || typeof id !== "string" || typeof name !== "string") return "not a submitter";
      submitters.push({ id, name });
      return undefined;
    }
    case "e": {
      const [, id, createdAt, status, seq, version, s, p] = value as EntryKeys;
      const submittedBy = submitters[s];
      const policy = policies[p];
      if (keysEnd === end || typeof id !== "string" || !PLAN_ID.test(id) || !STATUSES.has(status) || !submittedBy || !policy) return "not an index entry";
      if (typeof createdAt !== "number" || typeof seq !== "number" || typeof version !== "number" || buf[end - 1] !== 0x7d /* } */) return "not an index entry";
      byId.delete(id); // keep insertion order: latest change last
      byId.set(id, { id, createdAt, status, seq, version, submittedBy, policy, row: undefined, stored: { offset: base + keysEnd + 1, length: end - keysEnd - 1 }, missed: undefined });
      return undefined;
    }
    default:
      return "not an index line";
  }
}
