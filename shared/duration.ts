/** How Planroom writes a duration, the same in the CLI, the dashboard, plan texts and examples. Pure. */

/**
 * A duration for people: `420 ms`, `2.4 s`, `38 s`, `3 min 05 s`, `2 h 07 min`. Negative
 * durations read as `0 ms`; below ten seconds one decimal is shown (cut, not rounded up).
 */
export function formatDuration(ms: number): string {
  const v = Math.max(0, ms);
  if (v < 1_000) return `${Math.round(v)} ms`;
  if (v < 10_000) return `${(Math.floor(v / 100) / 10).toFixed(1)} s`;
  if (v < 60_000) return `${Math.floor(v / 1_000)} s`;
  if (v < 3_600_000) return `${Math.floor(v / 60_000)} min ${String(Math.floor((v % 60_000) / 1_000)).padStart(2, "0")} s`;
  return `${Math.floor(v / 3_600_000)} h ${String(Math.floor((v % 3_600_000) / 60_000)).padStart(2, "0")} min`;
}
