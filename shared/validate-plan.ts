import { checkJson } from "./json.js";
import { PlanroomError, type Issue } from "./errors.js";
import { findRefs, hasRefs, type StepRef } from "./refs.js";

/** The parts of a step that graph validation looks at. */
export interface StepShape {
  id: string;
  tool: string;
  params: unknown;
  dependsOn: readonly string[];
}

/** Options of {@link validateSteps}. */
export interface ValidateStepsOptions {
  /** When given, a step whose tool is not known is an `UNKNOWN_TOOL` issue. */
  hasTool?: (name: string) => boolean;
  /**
   * An id → position map of these steps, if one exists already (e.g. `stepPositions(plan)`): when
   * it matches the steps exactly, it is used instead of building one.
   */
  positions?: ReadonlyMap<string, number>;
  /** Called, when the steps are valid, with what validation learnt about them (see {@link StepGraph}). */
  onGraph?: (graph: StepGraph) => void;
}

/** The dependency graph of valid steps, as validation found it; lets a scheduler reuse its lookups. */
export interface StepGraph {
  /** Step `i`'s dependencies are at `depIndex[depStart[i]]` up to (not including) `depIndex[depStart[i + 1]]`. */
  depStart: Int32Array;
  /** Dependency positions, in `dependsOn` order. */
  depIndex: Int32Array;
  /** 1 where a step's params hold a `$ref`. */
  hasRefs: Uint8Array;
}

/**
 * Finds every structural problem of a step list: duplicate ids, dependencies on unknown steps,
 * self-dependencies, cycles (named, e.g. `a → b → c → a`), empty tool names, params that are not
 * JSON, and `$ref`s to steps that are not (transitive) dependencies. Linear in steps + edges +
 * params, plus, for references to steps that are not direct dependencies, O((steps + edges) · k / 32)
 * for their k distinct targets (see `checkRefs`).
 */
export function validateSteps(steps: readonly StepShape[], options: ValidateStepsOptions = {}): Issue[] {
  const issues: Issue[] = [];
  const n = steps.length;
  // A given map that matches every step's position proves the ids unique: no need to build one.
  const given = options.positions !== undefined && options.positions.size === n && matchesPositions(steps, options.positions) ? options.positions : undefined;
  const index: Map<string, number> | ReadonlyMap<string, number> = given ?? new Map<string, number>();

  for (let i = 0; i < n; i++) {
    const step = steps[i]!;
    if (!given) {
      // One map operation a step: a duplicate does not grow the map (the positions then go unused,
      // as duplicates skip the graph checks).
      const built = index as Map<string, number>;
      const size = built.size;
      built.set(step.id, i);
      if (built.size === size) issues.push({ path: ["steps", i, "id"], code: "duplicate_id", message: `duplicate step id "${step.id}"` });
    }
    if (typeof step.tool !== "string" || step.tool.trim() === "") issues.push({ path: ["steps", i, "tool"], code: "empty_tool", message: "tool name is empty" });
    else if (options.hasTool && !options.hasTool(step.tool)) issues.push({ path: ["steps", i, "tool"], code: "unknown_tool", message: `unknown tool "${step.tool}"` });
    if (!isEmptyPlainObject(step.params)) checkJson(step.params, (path, message) => issues.push({ path: ["steps", i, "params", ...path], code: "not_json", message }));
  }

  let edgesOk = true;
  // Each edge's dependency position, looked up once and reused by the cycle check.
  const depStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) depStart[i + 1] = depStart[i]! + steps[i]!.dependsOn.length;
  const depIndex = new Int32Array(depStart[n]!);
  for (let i = 0; i < n; i++) {
    const step = steps[i]!;
    const deps = step.dependsOn;
    const base = depStart[i]!;
    // Duplicates are looked for with a set only when the list is long enough to need one.
    const seen = deps.length > 8 ? new Set<string>() : undefined;
    for (let j = 0; j < deps.length; j++) {
      const dep = deps[j]!;
      const at = index.get(dep);
      depIndex[base + j] = at ?? -1;
      if (dep === step.id) {
        issues.push({ path: ["steps", i, "dependsOn", j], code: "self_dependency", message: `step "${step.id}" depends on itself` });
        edgesOk = false;
      } else if (at === undefined) {
        issues.push({ path: ["steps", i, "dependsOn", j], code: "unknown_dependency", message: `step "${step.id}" depends on unknown step "${dep}"` });
        edgesOk = false;
      } else if (seen ? seen.has(dep) : deps.indexOf(dep) < j) {
        issues.push({ path: ["steps", i, "dependsOn", j], code: "duplicate_dependency", message: `step "${step.id}" lists "${dep}" twice` });
      }
      seen?.add(dep);
    }
  }

  let refs: Uint8Array | undefined;
  if (edgesOk && index.size === n) {
    const sorted = topologicalOrder(n, depStart, depIndex);
    if (sorted.count < n) {
      const cycle = nameCycle(steps, index, sorted.indegree);
      issues.push({ path: ["steps"], code: "cycle", message: `dependency cycle: ${cycle.join(" → ")}` });
    } else refs = checkRefs(steps, index, depStart, depIndex, sorted.order, issues);
  }
  if (issues.length === 0 && refs) options.onGraph?.({ depStart, depIndex, hasRefs: refs });
  return issues;
}

function matchesPositions(steps: readonly StepShape[], positions: ReadonlyMap<string, number>): boolean {
  for (let i = 0; i < steps.length; i++) if (positions.get(steps[i]!.id) !== i) return false;
  return true;
}

/** `{}` (the params of most steps): nothing to check. */
function isEmptyPlainObject(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const _key in value) return false;
  return true;
}

/** Throws a `VALIDATION` {@link PlanroomError} listing every issue, if there is any. */
export function assertValidSteps(steps: readonly StepShape[], options: ValidateStepsOptions = {}): void {
  const issues = validateSteps(steps, options);
  if (issues.length === 0) return;
  const unknownTool = issues.every((i) => i.code === "unknown_tool");
  const head = issues.slice(0, 3).map((i) => i.message).join("; ");
  throw new PlanroomError(unknownTool ? "UNKNOWN_TOOL" : "VALIDATION", `invalid plan: ${head}${issues.length > 3 ? ` (+${issues.length - 3} more)` : ""}`, issues);
}

/** Kahn's algorithm over the dependency edges; `count < n` when some steps are on (or behind) a cycle. */
function topologicalOrder(n: number, depStart: Int32Array, depIndex: Int32Array): { order: Int32Array; count: number; indegree: Int32Array } {
  const indegree = new Int32Array(n);
  const outStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    indegree[i] = depStart[i + 1]! - depStart[i]!;
    for (let k = depStart[i]!; k < depStart[i + 1]!; k++) outStart[depIndex[k]! + 1]!++;
  }
  for (let i = 0; i < n; i++) outStart[i + 1]! += outStart[i]!;
  const fill = outStart.slice(0, n);
  const dependents = new Int32Array(depIndex.length);
  for (let i = 0; i < n; i++) {
    for (let k = depStart[i]!; k < depStart[i + 1]!; k++) dependents[fill[depIndex[k]!]!++] = i;
  }
  const order = new Int32Array(n);
  let tail = 0;
  for (let i = 0; i < n; i++) if (indegree[i] === 0) order[tail++] = i;
  for (let head = 0; head < tail; head++) {
    const at = order[head]!;
    for (let k = outStart[at]!; k < outStart[at + 1]!; k++) {
      const next = dependents[k]!;
      if (--indegree[next]! === 0) order[tail++] = next;
    }
  }
  return { order, count: tail, indegree };
}

/** Names a cycle, given the in-degrees Kahn's algorithm left: walks remaining dependencies until one repeats. */
function nameCycle(steps: readonly StepShape[], index: ReadonlyMap<string, number>, indegree: Int32Array): string[] {
  // Every remaining step has a remaining dependency: follow them until one repeats.
  let current = indegree.findIndex((n) => n > 0);
  const order = new Map<number, number>();
  const path: number[] = [];
  while (!order.has(current)) {
    order.set(current, path.length);
    path.push(current);
    const step = steps[current]!;
    current = step.dependsOn.map((d) => index.get(d) as number).find((d) => indegree[d]! > 0) as number;
  }
  // path[k..] is the cycle, walked against the edges (step → its dependency); print it forwards.
  const cycle = path.slice(order.get(current)).reverse().map((i) => steps[i]!.id);
  return [...cycle, cycle[0] as string];
}

/** Referenced targets whose reachability one propagation pass settles (32 bits a word). */
const TARGETS_PER_PASS = 256;
const WORDS_PER_PASS = TARGETS_PER_PASS / 32;

/**
 * Each `$ref` must name a step that the referring step (transitively) depends on. Returns which
 * steps hold references. Issues come step by step, in params order: a step's malformed references
 * first, then those to steps it does not depend on.
 *
 * Most references need no graph walk: a reference to a direct dependency is answered by marking
 * the step's dependencies, and one to an unknown step, to the step itself or to a step that comes
 * later in topological order cannot be to an ancestor. The rest (reference to a step that may be
 * a transitive dependency) are answered together: the k distinct steps they name are sorted by
 * topological position and numbered, and a pass in topological order gives every step the bit set
 * of numbered steps among its ancestors (a step's set is the union of its dependencies' sets and
 * bits). Sets hold {@link TARGETS_PER_PASS} targets; more targets take more passes, each starting
 * at its first target's position and stopping after its last referring step.
 *
 * Cost: O(n + e + r) to find and sort out the r references of n steps with e edges, plus
 * O((n + e) · ⌈k / 32⌉) word operations for the k distinct non-direct targets, with
 * O(n · TARGETS_PER_PASS / 32) words of memory. For the usual plan (k small, often 0 or 1) that is
 * linear; no input costs a walk of every referring step's ancestors.
 */
function checkRefs(steps: readonly StepShape[], index: ReadonlyMap<string, number>, depStart: Int32Array, depIndex: Int32Array, order: Int32Array, issues: Issue[]): Uint8Array {
  const n = steps.length;
  const withRefs = new Uint8Array(n);
  const position = new Int32Array(n); // topological position of each step
  for (let p = 0; p < n; p++) position[order[p]!] = p;

  // Per referring step, in step order: its malformed-reference issues and its references, each
  // with a verdict: 1 valid, 0 invalid, -1 waiting for a propagation pass.
  interface Pending { step: number; malformed: Issue[]; refs: StepRef[]; verdict: Int8Array }
  const pending: Pending[] = [];
  // Queries left for the propagation passes: which reference, and whose (distinct) target.
  const queryEntry: number[] = [];
  const queryRef: number[] = [];
  const queryTarget: number[] = [];
  const directOf = new Int32Array(n).fill(-1); // directOf[d] === i: d is a dependency of step i

  for (let i = 0; i < n; i++) {
    const step = steps[i]!;
    if (!hasRefs(step.params)) continue; // no reference, well-formed or not: nothing to check
    withRefs[i] = 1;
    const malformed: Issue[] = [];
    const refs = findRefs(step.params, (at, message) => malformed.push({ path: ["steps", i, "params", ...at], code: "invalid_ref", message }));
    const verdict = new Int8Array(refs.length);
    if (refs.length > 0) {
      for (let k = depStart[i]!; k < depStart[i + 1]!; k++) directOf[depIndex[k]!] = i;
      for (let r = 0; r < refs.length; r++) {
        const target = index.get(refs[r]!.stepId);
        if (target === undefined || target === i || position[target]! > position[i]!) verdict[r] = 0;
        else if (directOf[target] === i) verdict[r] = 1;
        else {
          verdict[r] = -1;
          queryEntry.push(pending.length);
          queryRef.push(r);
          queryTarget.push(target);
        }
      }
    }
    pending.push({ step: i, malformed, refs, verdict });
  }

  if (queryTarget.length > 0) answerAncestry(n, depStart, depIndex, order, position, pending, queryEntry, queryRef, queryTarget);

  for (const { step, malformed, refs, verdict } of pending) {
    for (const issue of malformed) issues.push(issue);
    for (let r = 0; r < refs.length; r++) {
      if (verdict[r] === 1) continue;
      const ref = refs[r]!;
      issues.push({
        path: ["steps", step, "params", ...ref.at],
        code: "invalid_ref",
        message: `step "${steps[step]!.id}" references "${ref.stepId}", which is not one of its (transitive) dependencies`,
      });
    }
  }
  return withRefs;
}

/**
 * Settles the waiting verdicts of {@link checkRefs}: query q asks whether `queryTarget[q]` is an
 * ancestor of the step of `pending[queryEntry[q]]`. See there for the passes and their cost.
 */
function answerAncestry(
  n: number,
  depStart: Int32Array,
  depIndex: Int32Array,
  order: Int32Array,
  position: Int32Array,
  pending: readonly { step: number; verdict: Int8Array }[],
  queryEntry: readonly number[],
  queryRef: readonly number[],
  queryTarget: readonly number[],
): void {
  // Distinct targets by topological position, numbered in that order.
  const rank = new Int32Array(n).fill(-1);
  const targets: number[] = [];
  for (const t of queryTarget) {
    if (rank[t] === -1) {
      rank[t] = 0;
      targets.push(t);
    }
  }
  targets.sort((a, b) => position[a]! - position[b]!);
  for (let j = 0; j < targets.length; j++) rank[targets[j]!] = j;

  // Queries grouped by pass (counting sort on the pass of their target).
  const passes = Math.ceil(targets.length / TARGETS_PER_PASS);
  const passStart = new Int32Array(passes + 1);
  for (const t of queryTarget) passStart[((rank[t]! / TARGETS_PER_PASS) | 0) + 1]!++;
  for (let p = 0; p < passes; p++) passStart[p + 1]! += passStart[p]!;
  const fill = passStart.slice(0, passes);
  const byPass = new Int32Array(queryTarget.length);
  for (let q = 0; q < queryTarget.length; q++) byPass[fill[(rank[queryTarget[q]!]! / TARGETS_PER_PASS) | 0]!++] = q;

  const bits = new Int32Array(n * WORDS_PER_PASS);
  for (let p = 0; p < passes; p++) {
    const first = p * TARGETS_PER_PASS;
    const from = position[targets[first]!]!;
    let to = from;
    for (let k = passStart[p]!; k < passStart[p + 1]!; k++) to = Math.max(to, position[pending[queryEntry[byPass[k]!]!]!.step]!);
    if (p > 0) bits.fill(0);
    // Steps before the pass's first target have none of its targets as ancestors: their sets stay empty.
    for (let at = from + 1; at <= to; at++) {
      const step = order[at]!;
      const mine = step * WORDS_PER_PASS;
      for (let k = depStart[step]!; k < depStart[step + 1]!; k++) {
        const dep = depIndex[k]!;
        const theirs = dep * WORDS_PER_PASS;
        for (let w = 0; w < WORDS_PER_PASS; w++) bits[mine + w]! |= bits[theirs + w]!;
        const bit = rank[dep]! - first;
        if (bit >= 0 && bit < TARGETS_PER_PASS) bits[mine + (bit >>> 5)]! |= 1 << (bit & 31);
      }
    }
    for (let k = passStart[p]!; k < passStart[p + 1]!; k++) {
      const q = byPass[k]!;
      const entry = pending[queryEntry[q]!]!;
      const bit = rank[queryTarget[q]!]! - first;
      entry.verdict[queryRef[q]!] = (bits[entry.step * WORDS_PER_PASS + (bit >>> 5)]! >>> (bit & 31)) & 1;
    }
  }
}
