import { describe, expect, it } from "vitest";
import { formatAge, formatClock, formatCountdown } from "../../client/web/format-time.js";

describe("formatAge", () => {
  it("says how long ago, coarser as time passes", () => {
    const now = 1_000_000_000;
    expect(formatAge(now - 1_000, now)).toBe("just now");
    expect(formatAge(now - 12_000, now)).toBe("12 s ago");
    expect(formatAge(now - 5 * 60_000, now)).toBe("5 min ago");
    expect(formatAge(now - 3 * 3_600_000, now)).toBe("3 h ago");
    expect(formatAge(now - 2 * 86_400_000, now)).toBe("2 d ago");
  });
});

describe("formatCountdown", () => {
  it("counts down as a clock and says when time is up", () => {
    expect(formatCountdown(300_000, 1_000)).toBe("4:59");
    expect(formatCountdown(3_723_000, 0)).toBe("1:02:03");
    expect(formatCountdown(1_000, 1_000)).toBe("expired");
  });
});

describe("formatClock", () => {
  it("writes a local time of day with seconds", () => {
    const at = new Date(2024, 0, 2, 9, 5, 7).getTime();
    expect(formatClock(at)).toBe("09:05:07");
  });
});
