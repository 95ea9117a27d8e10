/** Tool calls that wait until the test releases them, one step at a time. */
export class Gates {
  readonly #waiting = new Map<string, () => void>();
  readonly #opened = new Set<string>();

  /** Resolves when the step's gate is released (at once if it already was). */
  wait(stepId: string): Promise<void> {
    if (this.#opened.has(stepId)) return Promise.resolve();
    return new Promise((resolveGate) => this.#waiting.set(stepId, resolveGate));
  }

  /** Releases a step's tool call. */
  release(stepId: string): void {
    this.#opened.add(stepId);
    this.#waiting.get(stepId)?.();
    this.#waiting.delete(stepId);
  }
}
