import { describe, expect, it } from "vitest";
import { jsonByteLength, refExpansion } from "../../shared/index.js";

const utf8 = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));

describe("jsonByteLength", () => {
  it("matches the UTF-8 length of JSON.stringify for every kind of value", () => {
    const samples: unknown[] = [
      null,
      true,
      false,
      0,
      -1.5e-7,
      123456789,
      "",
      "plain",
      'quote " and backslash \\',
      "controls \n\t\r\b\f \u0001 \u001f",
      "accents é ü, CJK 漢字, emoji 🚀👍🏽",
      "lone \ud800 surrogate \udc00",
      [],
      {},
      [1, "two", null, [3, { four: 4 }]],
      { a: 1, "key with \"quote\"": [true, false], nested: { deep: { deeper: ["x"] } }, é: "é" },
      { skipped: undefined, kept: 1 },
      [undefined, 1],
      Number.NaN,
    ];
    for (const value of samples) expect(jsonByteLength(value), JSON.stringify(value)).toBe(utf8(value));
  });

  it("stops past its budget on a value that shares one sub-value a million times", () => {
    const kilobyte = "x".repeat(1_000);
    const level1 = Array.from({ length: 1_000 }, () => kilobyte);
    const level2 = Array.from({ length: 1_000 }, () => level1); // about 1 GB as text
    const started = performance.now();
    const size = jsonByteLength(level2, 1_048_576);
    expect(size).toBeGreaterThan(1_048_576);
    expect(size).toBeLessThan(1_048_576 + 2_000); // it stopped right after passing the budget
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe("refExpansion", () => {
  const ref = (id: string) => ({ $ref: `steps.${id}.result` });

  it("counts 1 for a step without references and 1 + the targets' counts per reference", () => {
    const worst = refExpansion([
      { id: "a", params: { text: "hi" } },
      { id: "b", params: { x: [ref("a"), ref("a")] } },
      { id: "c", params: { y: ref("b"), z: ref("a") } },
    ]);
    expect(worst).toEqual({ stepId: "c", copies: 1 + 3 + 1 });
  });

  it("grows with the depth of fan-in: 1,000 × 1,000 references pass a million", () => {
    const steps = [{ id: "leaf", params: { blob: "x" } }];
    const mids = Array.from({ length: 1_000 }, (_, i) => ({ id: `m${i}`, params: { all: Array.from({ length: 1_000 }, () => ref("leaf")) } }));
    const top = { id: "top", params: { all: mids.map((m) => ref(m.id)) } };
    expect(refExpansion([...steps, ...mids, top])).toEqual({ stepId: "top", copies: 1 + 1_000 * 1_001 });
  });

  it("walks a chain of 10,000 references without overflowing the stack", () => {
    const steps = Array.from({ length: 10_000 }, (_, i) => ({ id: `s${i}`, params: i === 0 ? {} : { prev: ref(`s${i - 1}`) } }));
    expect(refExpansion(steps)).toEqual({ stepId: "s9999", copies: 10_000 });
  });

  it("counts a reference to an unknown step, or into a cycle, as 1 and ends", () => {
    expect(refExpansion([{ id: "a", params: { x: ref("b"), y: ref("ghost") } }, { id: "b", params: { z: ref("a") } }])?.copies).toBeLessThanOrEqual(4);
    expect(refExpansion([])).toBeUndefined();
  });
});
