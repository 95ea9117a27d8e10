import { describe, expect, it } from "vitest";
import { matchesListFilter } from "../../shared/index.js";

describe("matchesListFilter", () => {
  const row = { status: "pending_approval" as const, submittedBy: { id: "agent-1" } };
  const state = { plan: { status: "pending_approval" as const }, submittedBy: { id: "agent-1" } };

  it("lets every plan through an empty filter", () => {
    expect(matchesListFilter(row, {})).toBe(true);
    expect(matchesListFilter(state, {})).toBe(true);
  });

  it("matches one status or one of several, on a row and on a state alike", () => {
    for (const subject of [row, state]) {
      expect(matchesListFilter(subject, { status: "pending_approval" })).toBe(true);
      expect(matchesListFilter(subject, { status: ["completed", "pending_approval"] })).toBe(true);
      expect(matchesListFilter(subject, { status: ["completed", "failed"] })).toBe(false);
      expect(matchesListFilter(subject, { status: [] })).toBe(false);
    }
  });

  it("matches the submitter, together with the status", () => {
    expect(matchesListFilter(row, { submittedBy: "agent-1" })).toBe(true);
    expect(matchesListFilter(state, { submittedBy: "someone-else" })).toBe(false);
    expect(matchesListFilter(row, { submittedBy: "agent-1", status: "completed" })).toBe(false);
  });

  it("bounds the creation time: from inclusive, before exclusive; a subject without createdAt fails a bound", () => {
    const dated = { ...row, createdAt: 2_000 };
    const datedState = { plan: { status: "pending_approval" as const, createdAt: 2_000 }, submittedBy: { id: "agent-1" } };
    for (const subject of [dated, datedState]) {
      expect(matchesListFilter(subject, { createdFrom: 2_000 })).toBe(true);
      expect(matchesListFilter(subject, { createdFrom: 2_001 })).toBe(false);
      expect(matchesListFilter(subject, { createdBefore: 2_000 })).toBe(false);
      expect(matchesListFilter(subject, { createdFrom: 1_000, createdBefore: 2_001 })).toBe(true);
    }
    expect(matchesListFilter(row, { createdFrom: 0 })).toBe(false);
  });
});
