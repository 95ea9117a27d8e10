import { checkJson } from "./json.js";
import { PlanroomError, type Issue } from "./errors.js";
import { findRefs, hasRefs } from "./refs.js";

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
 * JSON, and `$ref`s to steps that are not (transitive) dependencies. Linear in steps + edges.
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
    const cycle = findCycle(steps, index, depStart, depIndex);
    if (cycle) issues.push({ path: ["steps"], code: "cycle", message: `dependency cycle: ${cycle.join(" → ")}` });
    else refs = checkRefs(steps, index, issues);
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
  const proto = Object.getPrototypeOf(value);
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

/** Kahn's algorithm; if some steps remain, walks dependencies from one of them to name a cycle. */
function findCycle(steps: readonly StepShape[], index: ReadonlyMap<string, number>, depStart: Int32Array, depIndex: Int32Array): string[] | undefined {
  const n = steps.length;
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
  const queue = new Int32Array(n);
  let tail = 0;
  for (let i = 0; i < n; i++) if (indegree[i] === 0) queue[tail++] = i;
  for (let head = 0; head < tail; head++) {
    const at = queue[head]!;
    for (let k = outStart[at]!; k < outStart[at + 1]!; k++) {
      const next = dependents[k]!;
      if (--indegree[next]! === 0) queue[tail++] = next;
    }
  }
  if (tail === n) return undefined;

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

/**
 * Each `$ref` must name a step that the referring step (transitively) depends on. Returns which
 * steps hold references.
 */
function checkRefs(steps: readonly StepShape[], index: ReadonlyMap<string, number>, issues: Issue[]): Uint8Array {
  const withRefs = new Uint8Array(steps.length);
  steps.forEach((step, i) => {
    if (!hasRefs(step.params)) return; // no reference, well-formed or not: nothing to check
    withRefs[i] = 1;
    const refs = findRefs(step.params, (at, message) => issues.push({ path: ["steps", i, "params", ...at], code: "invalid_ref", message }));
    if (refs.length === 0) return;
    const ancestors = new Set<string>();
    const stack = [...step.dependsOn];
    while (stack.length > 0) {
      const id = stack.pop() as string;
      if (ancestors.has(id)) continue;
      ancestors.add(id);
      stack.push(...steps[index.get(id) as number]!.dependsOn);
    }
    for (const ref of refs) {
      if (!ancestors.has(ref.stepId)) {
        issues.push({
          path: ["steps", i, "params", ...ref.at],
          code: "invalid_ref",
          message: `step "${step.id}" references "${ref.stepId}", which is not one of its (transitive) dependencies`,
        });
      }
    }
  });
  return withRefs;
}
