import type { JsonValue } from "./json.js";

/**
 * What a tool handler receives besides its params, wherever the tool runs: in the server's
 * executor (whose context adds the live `plan` and `step`) or in an agent, through the SDK.
 */
export interface ToolContext {
  /** Aborted on timeout, when the plan is cancelled, or when the run gives up on the attempt. */
  signal: AbortSignal;
  planId: string;
  stepId: string;
  /** The name of the tool being called. */
  tool: string;
  /** 1 for the first attempt, 2 for the first retry, … */
  attempt: number;
  /** `planId:stepId:attempt`: the same key is the same attempt. */
  idempotencyKey: string;
  /** Time (ms since the epoch, by the executor's clock) at which the attempt times out. */
  deadline: number;
  /** Results of the step's direct dependencies, by step id. */
  dependencies: Record<string, JsonValue>;
}

/**
 * A tool: called once per attempt with the step's params (references resolved) and a context;
 * returns a JSON result (or nothing, or a promise of it), or throws (see `toStepError`).
 */
export type ToolHandler<Context extends ToolContext = ToolContext> = (params: Record<string, JsonValue>, ctx: Context) => unknown;
