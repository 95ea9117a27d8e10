/**
 * How large a Socket.IO message the server must take for the plans its limits allow: a
 * `plan:submit` of `limits.maxSteps` steps carries every step's id, tool, description and
 * dependencies besides the params (`limits.maxParamsBytes` in all).
 */

/** Bytes a step takes in a submission besides its params, with room to spare (ids, tool names, a sentence of description, a few dependencies). */
const STEP_MESSAGE_BYTES = 320;
/** The envelope around the steps: the plan's description, options, the approval policy, the packet. */
const SUBMISSION_ENVELOPE_BYTES = 64 * 1024;
/** Never below Socket.IO's usual figure. */
const FLOOR_BYTES = 256 * 1024;

/**
 * The message size that lets a plan at the step and params limits be submitted: the default of
 * `maxHttpBufferSize`. With the default limits (10,000 steps, 1,000,000 bytes of params: 100 a
 * step) it is about 4.1 MiB.
 *
 * @example
 * planMessageBytes({ maxSteps: 10_000, maxParamsBytes: 1_000_000 }) // 4_265_536
 */
export function planMessageBytes(limits: { maxSteps: number; maxParamsBytes: number }): number {
  return Math.max(FLOOR_BYTES, limits.maxSteps * STEP_MESSAGE_BYTES + limits.maxParamsBytes + SUBMISSION_ENVELOPE_BYTES);
}
