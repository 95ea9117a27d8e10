import type { ExecutionPlan, Step, ToolContext as PortableToolContext, ToolHandler as PortableToolHandler } from "../../shared/index.js";

/**
 * What a server-side tool is given besides its params: the portable context every tool handler
 * receives (shared `ToolContext`), plus the live plan and step.
 */
export interface ToolContext extends PortableToolContext {
  plan: ExecutionPlan;
  /** The live step being run. */
  step: Step;
  /**
   * The tool cannot go on until the agent that serves `tool` connects: the attempt's deadline is
   * paused and `step.waiting` recorded. Call the returned function once the wait is over and the
   * tool goes on: the deadline counts again with the time that was left, and `step.resumed` is
   * recorded. If the tool gives up instead, it throws as usual (the step's end clears the wait).
   * Absent where nothing records the wait (a tool called outside a run).
   */
  waitForAgent?(tool: string): () => void;
}

/** A tool: called once per attempt with the step's params (references resolved) and a context. */
export type ToolHandler = PortableToolHandler<ToolContext>;

/** The tools an executor can call, by name. A `Map` is read live, so tools may be added later. */
export type ToolRegistry = Record<string, ToolHandler> | Map<string, ToolHandler>;

/** Finds a tool by name; only own entries count (a tool named `constructor` is not `Object`). */
export function lookupTool(tools: ToolRegistry, name: string): ToolHandler | undefined {
  if (tools instanceof Map) return tools.get(name);
  return Object.hasOwn(tools, name) ? tools[name] : undefined;
}
