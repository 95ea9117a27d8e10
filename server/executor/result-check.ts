import { checkJson } from "../../shared/index.js";

/** Why a tool's result is not plain JSON, or `undefined` when it is (cheap for primitives). */
export function resultProblem(value: unknown): string | undefined {
  if (value === null || typeof value === "string" || typeof value === "boolean") return undefined;
  if (typeof value === "number") return Number.isFinite(value) ? undefined : `${value} is not a finite number`;
  let problem: string | undefined;
  checkJson(value, (path, message) => {
    problem ??= path.length > 0 ? `${path.join(".")}: ${message}` : message;
  });
  return problem;
}
