import { open, readFile, truncate, unlink, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { PlanIdSchema, PlanStatusSchema } from "../../../shared/index.js";
import type { IndexedPlan } from "../plan-query.js";
import { writeFileAtomic } from "./atomic-file.js";

const HEADER = JSON.stringify({ planroomPlanIndex: 1 });

/** What {@link PlanIndexJournal.read} found. */
export type JournalRead =
  | { found: "entries"; entries: IndexedPlan[] }
  /** No journal: a new data directory, or one written before the journal existed. */
  | { found: "missing" }
  /** A journal that cannot be trusted: a bad header, or a damaged line before the last. */
  | { found: "damaged"; why: string };

/**
 * The plan index on disk: `plan-index.jsonl`, a header line and then one line per change of a
 * plan's entry (its whole {@link IndexedPlan}); the last line of a plan wins. Appending the entries
 * that changed costs what they weigh, whatever the number of plans; when the lines outnumber the
 * plans twice over (plus a margin), the file is rewritten with one line per plan, atomically, so
 * the rewrite's cost is spread over at least as many appends as it writes lines.
 *
 * A cache of the event logs, like the snapshots: a torn last line (a crash during an append) is
 * dropped; a journal that is missing or damaged is rebuilt from the logs by the store.
 *
 * Measured against lowdb's whole-document rewrite (what this replaced) in `bench/README.md`.
 */
export class PlanIndexJournal {
  private readonly path: string;
  private fh: FileHandle | undefined;
  private lines = 0;

  constructor(dataDir: string) {
    this.path = join(dataDir, "plan-index.jsonl");
  }

  /** Reads the journal: the entries (last line of each plan wins), or why there are none. */
  async read(): Promise<JournalRead> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { found: "missing" };
      throw error;
    }
    const lines = text.split("\n");
    // The last element is "" after a final newline, or a torn line: either way not an entry.
    let torn = lines.pop() !== "";
    if (lines[0] !== HEADER) return { found: "damaged", why: "not a plan index journal (bad header)" };
    const byId = new Map<string, IndexedPlan>();
    for (let i = 1; i < lines.length; i++) {
      const entry = parseEntry(lines[i]!);
      if (!entry) {
        if (i < lines.length - 1) return { found: "damaged", why: `line ${i + 1} is not an index entry` };
        lines.pop(); // a torn last line that happens to end in a newline
        torn = true;
        break;
      }
      byId.delete(entry.row.id); // keep insertion order = latest change last
      byId.set(entry.row.id, entry);
    }
    // Appends go after the good lines only, so that a torn line never ends up before newer ones.
    if (torn) await truncate(this.path, Buffer.byteLength(lines.join("\n") + "\n"));
    this.lines = lines.length - 1;
    return { found: "entries", entries: [...byId.values()] };
  }

  /** Appends the entries' current state and makes it durable. */
  async append(entries: readonly IndexedPlan[]): Promise<void> {
    if (entries.length === 0) return;
    let text = "";
    for (const entry of entries) text += JSON.stringify({ row: entry.row, policy: entry.policy }) + "\n";
    const fh = await this.handle();
    await fh.appendFile(text);
    await fh.datasync();
    this.lines += entries.length;
  }

  /** Whether the journal holds enough superseded lines that {@link rewrite} is worth it. */
  wantsRewrite(plans: number): boolean {
    return this.lines > 2 * plans + 10_000;
  }

  /** Replaces the journal by one line per entry (atomically, durably). */
  async rewrite(entries: Iterable<IndexedPlan>): Promise<void> {
    await this.closeHandle();
    const parts = [HEADER];
    let count = 0;
    for (const entry of entries) {
      parts.push(JSON.stringify({ row: entry.row, policy: entry.policy }));
      count++;
    }
    await writeFileAtomic(this.path, parts.join("\n") + "\n");
    this.lines = count;
  }

  /** Deletes a journal of an older layout, if one is there (`index.json`). */
  async removeLegacy(dataDir: string): Promise<void> {
    await unlink(join(dataDir, "index.json")).catch(() => undefined);
  }

  /** Closes the file. */
  async close(): Promise<void> {
    await this.closeHandle();
  }

  private async handle(): Promise<FileHandle> {
    if (!this.fh) {
      const fh = await open(this.path, "a");
      if ((await fh.stat()).size === 0) await fh.appendFile(HEADER + "\n");
      this.fh = fh;
    }
    return this.fh;
  }

  private async closeHandle(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close();
  }
}

/** An entry line, checked enough to trust its sort and filter keys; undefined when it is not one. */
function parseEntry(line: string): IndexedPlan | undefined {
  let value: { row?: Record<string, unknown>; policy?: Record<string, unknown> };
  try {
    value = JSON.parse(line) as typeof value;
  } catch {
    return undefined;
  }
  const row = value?.row;
  const policy = value?.policy;
  if (!row || typeof row !== "object" || !policy || typeof policy !== "object") return undefined;
  if (!PlanIdSchema.safeParse(row.id).success || !PlanStatusSchema.safeParse(row.status).success) return undefined;
  if (typeof row.createdAt !== "number" || typeof row.seq !== "number" || typeof (row.submittedBy as { id?: unknown } | undefined)?.id !== "string") return undefined;
  if (!Array.isArray(policy.reviewers)) return undefined;
  return value as IndexedPlan;
}
