import { describe, expect, it } from "vitest";
import { formatDuration } from "../../shared/index.js";

describe("formatDuration", () => {
  it("chooses a unit people read at a glance", () => {
    expect(formatDuration(0)).toBe("0 ms");
    expect(formatDuration(420.4)).toBe("420 ms");
    expect(formatDuration(999.6)).toBe("1000 ms");
    expect(formatDuration(1_000)).toBe("1.0 s");
    expect(formatDuration(2_460)).toBe("2.4 s");
    expect(formatDuration(9_999)).toBe("9.9 s");
    expect(formatDuration(38_900)).toBe("38 s");
    expect(formatDuration(60_000)).toBe("1 min 00 s");
    expect(formatDuration(185_000)).toBe("3 min 05 s");
    expect(formatDuration(7_620_000)).toBe("2 h 07 min");
  });

  it("reads a negative duration as none", () => {
    expect(formatDuration(-5)).toBe("0 ms");
  });
});
