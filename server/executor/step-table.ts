import type { ExecutionPlan, JsonValue, Step, StepGraph } from "../../shared/index.js";
import { ReadyQueue } from "./ready-queue.js";
import { stepAdjacency } from "./step-adjacency.js";

// Scheduling state of each step, kept apart from `step.status` (which only events change).
/** Pending, some dependency not completed yet. */
export const WAITING = 0;
/** Pending, in the ready queue. */
export const READY = 1;
/** An attempt runs, or a retry waits for its backoff. */
export const RUNNING = 2;
/** Completed, failed, skipped or cancelled. */
export const DONE = 3;

/**
 * The scheduling tables of one run, by step position: each step's state, how many of its
 * dependencies are not completed yet, the dependency graph as adjacency arrays, and the ready queue.
 * A step becomes ready once its own dependencies completed (`release`).
 */
export class StepTable {
  readonly steps: Step[];
  readonly n: number;
  /** `WAITING`, `READY`, `RUNNING` or `DONE`, by step position. */
  readonly state: Uint8Array;
  /** Dependencies not completed yet, of each waiting step. */
  readonly remaining: Int32Array;
  readonly depStart: Int32Array;
  readonly depList: Int32Array;
  readonly outStart: Int32Array;
  readonly outList: Int32Array;
  /** 1 where a step's params hold a `$ref`; unknown (look at every step) without validation's graph. */
  readonly withRefs: Uint8Array | undefined;
  readonly ready: ReadyQueue;
  /** Steps `RUNNING`. */
  running = 0;
  /** Steps not `DONE`. */
  unsettled = 0;

  constructor(plan: ExecutionPlan, graph?: StepGraph) {
    this.steps = plan.steps;
    const n = (this.n = this.steps.length);
    this.state = new Uint8Array(n);
    this.remaining = new Int32Array(n);
    this.ready = new ReadyQueue(n, !plan.options.allowParallel);
    ({ depStart: this.depStart, depList: this.depList, outStart: this.outStart, outList: this.outList, withRefs: this.withRefs } = stepAdjacency(plan, graph));
  }

  /**
   * Sets each step's state from its status and counts the open dependencies of the waiting ones.
   * A completed step is done; so, when recovering, is a failed, skipped or cancelled one (returned
   * in `ended`), while a running one stays running (returned in `interrupted`). Every other step
   * waits. Nothing is made ready yet (see `readyUnblocked`).
   */
  load(recover: boolean): { ended: number[]; interrupted: number[] } {
    const { steps, n, state, remaining } = this;
    const ended: number[] = [];
    const interrupted: number[] = [];
    for (let i = 0; i < n; i++) {
      const status = steps[i]!.status;
      if (status === "completed") {
        state[i] = DONE;
        continue;
      }
      if (!recover || status === "pending") {
        state[i] = WAITING;
        this.unsettled++;
      } else if (status === "running") {
        state[i] = RUNNING;
        this.running++;
        this.unsettled++;
        interrupted.push(i);
      } else {
        state[i] = DONE;
        ended.push(i);
      }
    }
    for (let i = 0; i < n; i++) {
      if (state[i] !== WAITING) continue;
      let count = 0;
      for (let k = this.depStart[i]!; k < this.depStart[i + 1]!; k++) if (steps[this.depList[k]!]!.status !== "completed") count++;
      remaining[i] = count;
    }
    return { ended, interrupted };
  }

  /** Makes every waiting step whose dependencies are all completed ready, in plan order. */
  readyUnblocked(): void {
    const { n, state, remaining } = this;
    for (let i = 0; i < n; i++) {
      if (state[i] === WAITING && remaining[i] === 0) {
        state[i] = READY;
        this.ready.push(i);
      }
    }
  }

  /** Takes the next step off the ready queue and marks it running; -1 when it is no longer ready. */
  claimNext(): number {
    const i = this.ready.pop();
    if (this.state[i] !== READY) return -1;
    this.state[i] = RUNNING;
    this.running++;
    return i;
  }

  /** Marks running step `i` done. */
  settle(i: number): void {
    this.state[i] = DONE;
    this.running--;
    this.unsettled--;
  }

  /** Makes the dependents of completed step `i` whose dependencies are all completed ready. */
  release(i: number): void {
    const { state, remaining, outList } = this;
    for (let k = this.outStart[i]!, end = this.outStart[i + 1]!; k < end; k++) {
      const d = outList[k]!;
      if (state[d] === WAITING && --remaining[d]! === 0) {
        state[d] = READY;
        this.ready.push(d);
      }
    }
  }

  /**
   * Marks every waiting step that (transitively) depends on step `root` done, depth first, calling
   * `onSkipped(d, via)` for each as it goes: `via` is the step it depends on that led to it.
   */
  skipDependents(root: number, onSkipped: (d: number, via: number) => void): void {
    const stack = [root];
    while (stack.length > 0) {
      const j = stack.pop()!;
      for (let k = this.outStart[j]!, end = this.outStart[j + 1]!; k < end; k++) {
        const d = this.outList[k]!;
        if (this.state[d] !== WAITING) continue;
        this.state[d] = DONE;
        this.unsettled--;
        onSkipped(d, j);
        stack.push(d);
      }
    }
  }

  /** Whether step `i`'s params may hold a `$ref` (to be resolved before its tool is called). */
  mayHoldRefs(i: number): boolean {
    return this.withRefs === undefined || this.withRefs[i] === 1;
  }

  /** The results of step `i`'s direct dependencies, by step id. */
  dependencyResults(i: number): Record<string, JsonValue> {
    const out = Object.create(null) as Record<string, JsonValue>;
    for (let k = this.depStart[i]!; k < this.depStart[i + 1]!; k++) {
      const dep = this.steps[this.depList[k]!]!;
      out[dep.id] = dep.result ?? null;
    }
    return out;
  }
}
