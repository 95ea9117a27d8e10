import { closeSync, openSync } from "node:fs";

/**
 * A bounded LRU of file descriptors opened for appending, so that thousands of plan logs never
 * exhaust the process's descriptors. Descriptors are used synchronously only (`writeSync`), so an
 * evicted descriptor is never in use when it is closed.
 */
export class FdCache {
  private readonly fds = new Map<string, number>();

  constructor(private readonly capacity: number) {}

  /** The descriptor of `path`, opened for appending if needed (evicting the least recently used). */
  get(path: string): number {
    let fd = this.fds.get(path);
    if (fd !== undefined) {
      this.fds.delete(path);
      this.fds.set(path, fd);
      return fd;
    }
    fd = openSync(path, "a");
    this.fds.set(path, fd);
    if (this.fds.size > this.capacity) {
      const [oldest, oldFd] = this.fds.entries().next().value as [string, number];
      this.fds.delete(oldest);
      closeSync(oldFd);
    }
    return fd;
  }

  /** How many descriptors are open. */
  get size(): number {
    return this.fds.size;
  }

  /** Closes every descriptor. */
  closeAll(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}
