/**
 * Takes turns on the event loop: work that blocks it for a while (answering a join of a large
 * plan with its snapshot) waits for its turn, and each turn is granted in a later pass of the loop
 * (`setImmediate`), so whatever arrived meanwhile — another client's command, a heartbeat — is
 * served between two such pieces of work instead of after all of them.
 *
 * @example
 * ```ts
 * const turns = new LoopTurns();
 * await turns.next(); // then do the heavy, synchronous part at once
 * ```
 */
export class LoopTurns {
  private queue: (() => void)[] = [];
  private granting = false;

  /** Resolves in a later pass of the event loop than the previous turn, one turn per pass. */
  next(): Promise<void> {
    return new Promise((resolve) => {
      this.queue.push(resolve);
      if (!this.granting) this.grant();
    });
  }

  private grant(): void {
    this.granting = true;
    setImmediate(() => {
      const turn = this.queue.shift();
      turn?.();
      if (this.queue.length > 0) this.grant();
      else this.granting = false;
    });
  }
}
