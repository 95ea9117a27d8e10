import { describe, expect, it } from "vitest";
import { canonicalJson, stepRevisionKey } from "../../shared/index.js";

describe("canonicalJson", () => {
  it("sorts object keys at every depth and keeps array order", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });
});

describe("stepRevisionKey", () => {
  const step: Parameters<typeof stepRevisionKey>[0] = { tool: "work", params: { a: 1, b: { c: 2, d: 3 } }, dependsOn: ["x"] };

  it("is the same for params whose keys are only reordered, and for a new description", () => {
    expect(stepRevisionKey({ ...step, params: { b: { d: 3, c: 2 }, a: 1 } })).toBe(stepRevisionKey(step));
    expect(stepRevisionKey({ ...step, description: "other words" } as typeof step)).toBe(stepRevisionKey(step));
  });

  it("changes with the tool, a param's value, the dependencies or the retry policy", () => {
    const key = stepRevisionKey(step);
    expect(stepRevisionKey({ ...step, tool: "other" })).not.toBe(key);
    expect(stepRevisionKey({ ...step, params: { a: 2, b: { c: 2, d: 3 } } })).not.toBe(key);
    expect(stepRevisionKey({ ...step, dependsOn: [] })).not.toBe(key);
    expect(stepRevisionKey({ ...step, retry: { maxAttempts: 3, backoffMs: 10, factor: 2, maxBackoffMs: 100 } })).not.toBe(key);
  });
});
