import { readFile } from "node:fs/promises";
import { ApprovalPolicySchema, ExecutionOptionsPatchSchema, ExecutionPlan, parseInput, PlanroomError, type ApprovalPolicyInput, type ExecutionOptionsPatch, type Issue, type PlanInput } from "../../shared/index.js";
import { toPlanInput } from "../planroom-client.js";

/** A plan file: a plan as an agent writes it, with an optional approval policy. */
export interface PlanFile {
  /** The plan, defaults applied. */
  plan: PlanInput;
  approval: ApprovalPolicyInput | undefined;
  /** The options the file names itself (a revision changes only those); undefined when it names none. */
  namedOptions: ExecutionOptionsPatch | undefined;
}

/**
 * Reads and validates a plan file (`{ description, options?, steps, approval? }`) against the
 * shared schemas and the DAG rules; every problem is a `VALIDATION` issue with its JSON path.
 */
export async function readPlanFile(path: string): Promise<PlanFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new PlanroomError("VALIDATION", `cannot read ${path}: ${(error as Error).message}`);
  }
  return parsePlanFile(text, path);
}

/** Validates a plan file's text (see {@link readPlanFile}). */
export function parsePlanFile(text: string, name = "plan file"): PlanFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PlanroomError("VALIDATION", `${name} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new PlanroomError("VALIDATION", `${name} must hold a JSON object with "description" and "steps"`, [{ path: [], message: "expected an object" }]);
  }
  const { approval, ...rest } = json as Record<string, unknown>;
  // Both parts are checked before anything is reported, so one run shows every problem.
  let policy: ApprovalPolicyInput | undefined;
  let approvalIssues: Issue[] = [];
  if (approval !== undefined) {
    const parsed = parseInput(ApprovalPolicySchema, approval);
    if (parsed.success) policy = approval as ApprovalPolicyInput;
    else approvalIssues = parsed.issues.map((i) => ({ ...i, path: ["approval", ...i.path] }));
  }
  let plan: ExecutionPlan | undefined;
  let planError: PlanroomError | undefined;
  try {
    plan = ExecutionPlan.fromInput(rest);
  } catch (error) {
    if (!(error instanceof PlanroomError)) throw error;
    planError = error;
  }
  if (planError && approvalIssues.length > 0) {
    const planIssues = planError.issues?.length ? planError.issues : [{ path: [], message: planError.message }];
    throw new PlanroomError("VALIDATION", `${name}: invalid plan and approval policy`, [...planIssues, ...approvalIssues]);
  }
  if (planError) throw new PlanroomError(planError.code, `${name}: ${planError.message}`, planError.issues);
  if (approvalIssues.length > 0 || !plan) throw new PlanroomError("VALIDATION", `${name}: invalid approval policy`, approvalIssues);
  // Valid already (the plan's own check covered them): parsed again only to drop the defaults.
  const named = rest.options === undefined ? undefined : ExecutionOptionsPatchSchema.parse(rest.options);
  return { plan: toPlanInput(plan), approval: policy, namedOptions: named };
}
