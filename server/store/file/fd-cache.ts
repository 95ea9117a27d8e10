import { close, open, readFileSync } from "node:fs";
import { promisify } from "node:util";

const openAsync = promisify(open);
const closeAsync = promisify(close);

/** Descriptors kept open at most when the process's limit cannot be read. */
const FALLBACK_BUDGET = 256;
/** Descriptors kept open at most, whatever the process's limit. */
const MAX_BUDGET = 16_384;

/**
 * The default plan-log descriptor budget: a quarter of the process's open-file limit (Node raises
 * its soft limit to the hard one at start-up), leaving the rest to sockets and everything else,
 * between 256 and 16,384. Where the limit cannot be read (not Linux), 256.
 *
 * Why derive it: a plan whose file is not open costs an open and a close per commit. Up to the
 * budget, concurrent writers cost no open at all; the descriptors themselves are cheap to the kernel.
 */
export function defaultDescriptorBudget(limitsText?: string): number {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync("/proc/self/limits", "utf8");
    } catch {
      return FALLBACK_BUDGET;
    }
  }
  const soft = /^Max open files\s+(\d+|unlimited)/m.exec(text)?.[1];
  if (soft === undefined) return FALLBACK_BUDGET;
  if (soft === "unlimited") return MAX_BUDGET;
  return Math.min(MAX_BUDGET, Math.max(FALLBACK_BUDGET, Math.floor(Number(soft) / 4)));
}

/**
 * A bounded LRU of file descriptors opened for appending, so that thousands of plan logs never
 * exhaust the process's descriptors. Opens and closes run on the libuv thread pool, never on the
 * event loop: {@link acquire} opens every missing descriptor of a batch at once, after the closes
 * of the descriptors it evicts have finished (so at most `capacity` are ever open). The descriptors
 * it hands out are used synchronously (`writeSync`) before the next `acquire`, and an `acquire`
 * never evicts the paths it was asked for, so an evicted descriptor is never in use when it is
 * closed. Calls must not overlap (the event log's single flusher makes them one at a time).
 */
export class FdCache {
  private readonly fds = new Map<string, number>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`descriptor budget must be a positive integer, not ${capacity}`);
  }

  /**
   * The descriptors of `paths` (at most `capacity` of them), opening the missing ones for appending
   * and evicting the least recently used others to make room.
   */
  async acquire(paths: readonly string[]): Promise<number[]> {
    if (paths.length > this.capacity) throw new RangeError(`${paths.length} files asked for at once, over the budget of ${this.capacity}`);
    const wanted = new Set(paths);
    const missing: string[] = [];
    for (const path of wanted) {
      const fd = this.fds.get(path);
      if (fd === undefined) missing.push(path);
      else {
        this.fds.delete(path);
        this.fds.set(path, fd);
      }
    }
    if (missing.length > 0) {
      const evicted: [string, number][] = [];
      for (const entry of this.fds) {
        if (this.fds.size - evicted.length + missing.length <= this.capacity) break;
        if (!wanted.has(entry[0])) evicted.push(entry);
      }
      // removed from the map first: nothing can take them while they close
      for (const [path] of evicted) this.fds.delete(path);
      await settleAll(evicted.map(([, fd]) => closeAsync(fd)));
      const opened = await Promise.allSettled(missing.map((path) => openAsync(path, "a")));
      const failed = opened.find((r): r is PromiseRejectedResult => r.status === "rejected");
      for (const [i, result] of opened.entries()) {
        if (result.status === "fulfilled") this.fds.set(missing[i]!, result.value);
      }
      if (failed) throw failed.reason;
    }
    return paths.map((path) => this.fds.get(path)!);
  }

  /** How many descriptors are open. */
  get size(): number {
    return this.fds.size;
  }

  /** Closes every descriptor. */
  async closeAll(): Promise<void> {
    const fds = [...this.fds.values()];
    this.fds.clear();
    await settleAll(fds.map((fd) => closeAsync(fd)));
  }
}

/** Waits for every promise; rethrows the first failure once all have settled. */
async function settleAll(promises: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}
