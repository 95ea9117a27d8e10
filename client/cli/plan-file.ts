import { readFile } from "node:fs/promises";
import { ApprovalPolicySchema, ExecutionPlan, PlanroomError, toIssues, type ApprovalPolicyInput, type PlanInput } from "../../shared/index.js";
import { toPlanInput } from "../planroom-client.js";

/** A plan file: a plan as an agent writes it, with an optional approval policy. */
export interface PlanFile {
  plan: PlanInput;
  approval: ApprovalPolicyInput | undefined;
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
  let policy: ApprovalPolicyInput | undefined;
  if (approval !== undefined) {
    const parsed = ApprovalPolicySchema.safeParse(approval);
    if (!parsed.success) {
      const issues = toIssues(parsed.error.issues).map((i) => ({ ...i, path: ["approval", ...i.path] }));
      throw new PlanroomError("VALIDATION", `${name}: invalid approval policy`, issues);
    }
    policy = approval as ApprovalPolicyInput;
  }
  let plan: ExecutionPlan;
  try {
    plan = ExecutionPlan.fromInput(rest);
  } catch (error) {
    if (error instanceof PlanroomError) throw new PlanroomError(error.code, `${name}: ${error.message}`, error.issues);
    throw error;
  }
  return { plan: toPlanInput(plan), approval: policy };
}
