/**
 * Planroom's shared core: schemas, the plan model, the event fold and the wire contract.
 * Runs unchanged in Node and in a browser.
 */
export * from "./errors.js";
export * from "./parse-input.js";
export * from "./review-link.js";
export * from "./json.js";
export * from "./retry-policy.js";
export * from "./execution-options.js";
export * from "./step.js";
export * from "./step-error.js";
export * from "./tool-context.js";
export * from "./lifecycle.js";
export * from "./plan.js";
export * from "./approval-policy.js";
export * from "./events.js";
export * from "./apply-event.js";
export * from "./refs.js";
export * from "./ref-expansion.js";
export * from "./json-size.js";
export * from "./validate-plan.js";
export * from "./execution-plan.js";
export * from "./summary.js";
export * from "./duration.js";
export * from "./status-words.js";
export * from "./canonical-json.js";
export * from "./step-revision-key.js";
export * from "./plan-diff.js";
export * from "./terminal-safe.js";
export * from "./format-plan.js";
export * from "./protocol.js";
export * from "./permissions.js";
export * from "./list-filter.js";
export * from "./plan-list-row.js";
export * from "./event-sentence.js";
