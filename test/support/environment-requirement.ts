/**
 * Tests that need something beyond Node.js (a browser, root to mount a filesystem) skip where it is
 * missing, with a one-line reason; `.ci/run` sets `PLANROOM_REQUIRE_ALL=1`, which turns a missing
 * requirement into a failure, so CI always runs them.
 */

/** Whether a missing requirement fails the run instead of skipping (set by `.ci/run`). */
const REQUIRE_ALL = process.env.PLANROOM_REQUIRE_ALL === "1";

/**
 * Returns whether the tests needing `what` can run. When they cannot, prints the one-line reason
 * and returns false, or throws under `PLANROOM_REQUIRE_ALL=1`.
 */
export function requirementMet(what: string, met: boolean, reason: string): boolean {
  if (met) return true;
  const line = `${what}: ${reason}`;
  if (REQUIRE_ALL) throw new Error(`${line} (PLANROOM_REQUIRE_ALL=1 makes this a failure)`);
  console.warn(`skipped, ${line}`);
  return false;
}
