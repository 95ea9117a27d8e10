/**
 * The steps ready to start, by plan index. `ordered`: a binary min-heap, so the step declared first
 * always starts first (a stable topological order, for sequential runs) at O(log n) a step;
 * otherwise first ready, first started (plan order among steps that became ready together) at O(1).
 * Each step enters at most once a run, so the capacity is the number of steps.
 */
export class ReadyQueue {
  private readonly items: Int32Array;
  private head = 0;
  private tail = 0;

  constructor(
    capacity: number,
    private readonly ordered: boolean,
  ) {
    this.items = new Int32Array(Math.max(1, capacity));
  }

  /** How many steps wait. */
  get size(): number {
    return this.tail - this.head;
  }

  push(index: number): void {
    if (!this.ordered) {
      this.items[this.tail++] = index;
      return;
    }
    const heap = this.items;
    let i = this.tail++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (p <= index) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = index;
  }

  /** Removes and returns the next step; only call when `size > 0`. */
  pop(): number {
    if (!this.ordered) return this.items[this.head++]!;
    const heap = this.items;
    const top = heap[0]!;
    const last = heap[--this.tail]!;
    const size = this.tail;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      const right = child + 1;
      if (right < size && heap[right]! < heap[child]!) child = right;
      if (heap[child]! >= last) break;
      heap[i] = heap[child]!;
      i = child;
    }
    if (size > 0) heap[i] = last;
    return top;
  }
}
