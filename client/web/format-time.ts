/** How the dashboard writes ages, countdowns and times of day (durations: the shared `formatDuration`). Pure. */

/** How long ago `at` was, at `now`: `just now`, `12 s ago`, `5 min ago`, `3 h ago`, `2 d ago`. */
export function formatAge(at: number, now: number): string {
  const s = Math.floor((now - at) / 1_000);
  if (s < 5) return "just now";
  if (s < 60) return `${s} s ago`;
  if (s < 3_600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3_600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** Time left until `deadline`, as a clock: `4:59`, `1:02:03`; `expired` once it has passed. */
export function formatCountdown(deadline: number, now: number): string {
  const left = Math.ceil((deadline - now) / 1_000);
  if (left <= 0) return "expired";
  const h = Math.floor(left / 3_600);
  const m = Math.floor((left % 3_600) / 60);
  const s = String(left % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** A wall-clock time of day, `14:03:07`, in the reader's time zone. */
export function formatClock(at: number): string {
  const d = new Date(at);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}
