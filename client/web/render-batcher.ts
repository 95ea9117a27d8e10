/**
 * Coalesces bursts of changes (a running plan emits many events a second) into one render at most
 * every `delayMs`, so a view redraws once per burst instead of once per event.
 */
export class RenderBatcher {
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly render: () => void,
    private readonly delayMs = 30,
  ) {}

  /** Asks for a render; calls within `delayMs` of the first share it. */
  schedule(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.render();
    }, this.delayMs);
  }

  /** Drops a render that was asked for and has not happened yet. */
  cancel(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
