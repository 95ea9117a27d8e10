import { jsonByteLength, PlanroomError, refExpansion, type RefShape, type StepInput } from "../../shared/index.js";

/** The size caps a submitted plan is held to (see `limits` in the configuration). */
export interface PlanSizeLimits {
  maxSteps: number;
  /** Bytes (UTF-8 JSON) of all step params of a plan; also of one step's params once resolved. */
  maxParamsBytes: number;
  /** The most copies of earlier results one step can take in through chains of `$ref`s. */
  maxRefExpansion: number;
}

/**
 * Refuses (`VALIDATION`) a plan with too many steps or too many bytes of params, before it is built;
 * returns the bytes of its params (what the plan weighs in its submitter's quota). Cheap: one walk
 * of the params, stopped as soon as they pass the byte cap.
 */
export function checkPlanSize(steps: readonly StepInput[], limits: PlanSizeLimits): number {
  if (steps.length > limits.maxSteps) throw new PlanroomError("VALIDATION", `a plan may have at most ${limits.maxSteps} steps, this one has ${steps.length}`, [{ path: ["plan", "steps"], message: "too many steps" }]);
  let bytes = 0;
  for (const s of steps) {
    bytes += jsonByteLength(s.params ?? {}, limits.maxParamsBytes - bytes);
    if (bytes > limits.maxParamsBytes) throw new PlanroomError("VALIDATION", `step params of a plan may hold at most ${limits.maxParamsBytes} bytes (JSON, UTF-8), these hold more`, [{ path: ["plan", "steps"], message: "params too large" }]);
  }
  return bytes;
}

/**
 * Refuses (`VALIDATION`) a built plan whose `$ref`s could multiply earlier results past
 * `maxRefExpansion` (see `refExpansion`): such a plan is refused before it is stored, rather than
 * failing (`PARAMS_TOO_LARGE`) once it runs.
 */
export function checkRefExpansion(steps: readonly RefShape[], limits: Pick<PlanSizeLimits, "maxRefExpansion">): void {
  const worst = refExpansion(steps);
  if (worst !== undefined && worst.copies > limits.maxRefExpansion) {
    const index = steps.findIndex((s) => s.id === worst.stepId);
    const copies = Number.isFinite(worst.copies) && worst.copies < 1e15 ? String(worst.copies) : "more than 10¹⁵";
    throw new PlanroomError(
      "VALIDATION",
      `step "${worst.stepId}" could take in ${copies} copies of earlier results through its $refs (and theirs); the server allows ${limits.maxRefExpansion} (limits.maxRefExpansion): reference fewer results, or the parts of them the step needs`,
      [{ path: ["plan", "steps", index, "params"], message: "references expand too far", code: "ref_expansion" }],
    );
  }
}
