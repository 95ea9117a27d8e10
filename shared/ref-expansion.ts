import { findRefs } from "./refs.js";

/** The parts of a step that {@link refExpansion} looks at. */
export interface RefShape {
  id: string;
  params: unknown;
}

/** The step whose params could take in the most copies of earlier results, and how many. */
export interface RefExpansion {
  stepId: string;
  /** 1 (the step's own params) + the expansion of every step each of its `$ref`s names. */
  copies: number;
}

/**
 * How far `$ref`s can multiply data before anything runs. A step's params hold its own bytes plus,
 * for each `$ref`, a whole (or part of a) result of an earlier step; a tool may return its params,
 * so a result can be as large as everything that went into it. The expansion of a step is therefore
 * 1 + the sum of the expansions of the steps its references name (with repetition): ten references
 * to a step that itself holds ten references to a third step count 1 + 10 × (1 + 10) = 111 copies.
 * It grows exponentially with the depth of fan-in, which is what a plan built to exhaust memory
 * uses. Expects steps whose references point at earlier-validated ancestors (no cycles); a
 * reference to an unknown step counts 1. Returns the largest, or `undefined` for no steps.
 */
export function refExpansion(steps: readonly RefShape[]): RefExpansion | undefined {
  const position = new Map<string, number>();
  steps.forEach((s, i) => position.set(s.id, i));
  const targets: number[][] = steps.map((s) => findRefs(s.params).map((r) => position.get(r.stepId) ?? -1));
  const copies = new Float64Array(steps.length);
  const visit = new Uint8Array(steps.length); // 0 new, 1 on the walk's stack, 2 counted
  let worst: RefExpansion | undefined;
  for (let root = 0; root < steps.length; root++) {
    // Iterative post-order walk: deep chains of references must not overflow the stack. A
    // reference back onto the walk (a cycle, which validation refuses anyway) counts 1.
    const stack = [root];
    while (stack.length > 0) {
      const i = stack[stack.length - 1]!;
      if (visit[i] === 2) {
        stack.pop();
        continue;
      }
      visit[i] = 1;
      let ready = true;
      for (const t of targets[i]!) {
        if (t >= 0 && visit[t] === 0) {
          stack.push(t);
          ready = false;
        }
      }
      if (!ready) continue;
      let total = 1;
      for (const t of targets[i]!) total += t >= 0 && visit[t] === 2 ? copies[t]! : 1;
      copies[i] = total;
      visit[i] = 2;
      stack.pop();
    }
    if (worst === undefined || copies[root]! > worst.copies) worst = { stepId: steps[root]!.id, copies: copies[root]! };
  }
  return worst;
}
