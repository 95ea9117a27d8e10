/**
 * The steps ready to start, by plan index: a binary min-heap of integers, so that the step declared
 * first always starts first (a stable topological order) at O(log n) a step.
 */
export class ReadyQueue {
  private heap: Int32Array;
  size = 0;

  constructor(capacity: number) {
    this.heap = new Int32Array(Math.max(1, capacity));
  }

  push(index: number): void {
    if (this.size === this.heap.length) {
      const bigger = new Int32Array(this.heap.length * 2);
      bigger.set(this.heap);
      this.heap = bigger;
    }
    const heap = this.heap;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (p <= index) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = index;
  }

  /** Removes and returns the smallest index; only call when `size > 0`. */
  pop(): number {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap[--this.size]!;
    const size = this.size;
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
