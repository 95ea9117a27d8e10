import { jsonByteLength, PlanroomError } from "../shared/index.js";

/** Bytes a command's packet adds around its payload (`42["plan:submit",…,ack id]`), rounded up. */
const PACKET_OVERHEAD_BYTES = 64;

/**
 * Refuses, before it is sent, a command whose message the server would not take: a Socket.IO
 * message larger than the server's `maxHttpBufferSize` (told to the client in `session:limits`)
 * makes the server drop the connection without an answer. The payload is measured without being
 * stringified, and only up to the limit.
 */
export function checkMessageSize(name: string, payload: unknown, maxMessageBytes: number | undefined): void {
  if (maxMessageBytes === undefined) return;
  const budget = maxMessageBytes - PACKET_OVERHEAD_BYTES;
  const bytes = jsonByteLength(payload, budget);
  if (bytes <= budget) return;
  // Past the budget the walk stopped early; measure the rest for the message (this message is refused anyway).
  const size = jsonByteLength(payload) + PACKET_OVERHEAD_BYTES;
  throw new PlanroomError("VALIDATION", `${name}: message too large (${size} bytes, limit ${maxMessageBytes}): the server's maxHttpBufferSize`);
}
