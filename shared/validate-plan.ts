import { checkJson } from "./json.js";
import { PlanroomError, type Issue } from "./errors.js";
import { findRefs } from "./refs.js";

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
}

/**
 * Finds every structural problem of a step list: duplicate ids, dependencies on unknown steps,
 * self-dependencies, cycles (named, e.g. `a → b → c → a`), empty tool names, params that are not
 * JSON, and `$ref`s to steps that are not (transitive) dependencies. Linear in steps + edges.
 */
export function validateSteps(steps: readonly StepShape[], options: ValidateStepsOptions = {}): Issue[] {
  const issues: Issue[] = [];
  const index = new Map<string, number>();

  steps.forEach((step, i) => {
    if (index.has(step.id)) issues.push({ path: ["steps", i, "id"], code: "duplicate_id", message: `duplicate step id "${step.id}"` });
    else index.set(step.id, i);
    if (typeof step.tool !== "string" || step.tool.trim() === "") issues.push({ path: ["steps", i, "tool"], code: "empty_tool", message: "tool name is empty" });
    else if (options.hasTool && !options.hasTool(step.tool)) issues.push({ path: ["steps", i, "tool"], code: "unknown_tool", message: `unknown tool "${step.tool}"` });
    checkJson(step.params, (path, message) => issues.push({ path: ["steps", i, "params", ...path], code: "not_json", message }));
  });

  let edgesOk = true;
  steps.forEach((step, i) => {
    const seen = new Set<string>();
    step.dependsOn.forEach((dep, j) => {
      const path = ["steps", i, "dependsOn", j];
      if (dep === step.id) {
        issues.push({ path, code: "self_dependency", message: `step "${step.id}" depends on itself` });
        edgesOk = false;
      } else if (!index.has(dep)) {
        issues.push({ path, code: "unknown_dependency", message: `step "${step.id}" depends on unknown step "${dep}"` });
        edgesOk = false;
      } else if (seen.has(dep)) {
        issues.push({ path, code: "duplicate_dependency", message: `step "${step.id}" lists "${dep}" twice` });
      }
      seen.add(dep);
    });
  });

  if (edgesOk && index.size === steps.length) {
    const cycle = findCycle(steps, index);
    if (cycle) issues.push({ path: ["steps"], code: "cycle", message: `dependency cycle: ${cycle.join(" → ")}` });
    else checkRefs(steps, index, issues);
  }
  return issues;
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
function findCycle(steps: readonly StepShape[], index: Map<string, number>): string[] | undefined {
  const indegree = steps.map((s) => s.dependsOn.length);
  const dependents: number[][] = steps.map(() => []);
  steps.forEach((s, i) => s.dependsOn.forEach((d) => dependents[index.get(d) as number]!.push(i)));
  const queue: number[] = [];
  indegree.forEach((n, i) => n === 0 && queue.push(i));
  for (let head = 0; head < queue.length; head++) {
    for (const next of dependents[queue[head] as number]!) if (--indegree[next]! === 0) queue.push(next);
  }
  if (queue.length === steps.length) return undefined;

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

/** Each `$ref` must name a step that the referring step (transitively) depends on. */
function checkRefs(steps: readonly StepShape[], index: Map<string, number>, issues: Issue[]): void {
  steps.forEach((step, i) => {
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
}
