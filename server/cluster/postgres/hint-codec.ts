import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { PlanEventSchema, PlanIdSchema } from "../../../shared/index.js";
import type { Hint } from "../cluster.js";

/**
 * The wire form of hints on the NOTIFY channel: `<mac>.<body>`, where `body` is the JSON
 * `{"f": sender node id, "n": the sender's payload number, "h": [hints…]}` and `mac` the
 * HMAC-SHA256 of `body` under the cluster secret, in base64url.
 *
 * Any role that can connect may NOTIFY any channel, so a payload is believed only when its MAC is
 * right; `n` also keeps two payloads with the same hints distinct (PostgreSQL folds identical
 * notifications of one transaction).
 */

/** A NOTIFY payload must be shorter than this many bytes. */
export const NOTIFY_LIMIT_BYTES = 8_000;

/** A batch is sent once its payload would grow past this many bytes. */
export const BATCH_TARGET_BYTES = 7_000;

/** Length of the base64url MAC (32 bytes). */
const MAC_CHARS = 43;

const HintSchema: z.ZodType<Hint> = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("events"), planId: PlanIdSchema, events: z.array(PlanEventSchema).min(1) }),
  z.strictObject({ kind: z.literal("head"), planId: PlanIdSchema, seq: z.number().int().min(0) }),
  z.strictObject({ kind: z.literal("presence"), planId: PlanIdSchema }),
  z.strictObject({ kind: z.literal("route"), planId: PlanIdSchema }),
  z.strictObject({ kind: z.literal("cancel"), planId: PlanIdSchema }),
  z.strictObject({ kind: z.literal("tool"), to: z.string().min(1).max(256), callId: z.string().min(1).max(256) }),
]);

const BodySchema = z.strictObject({ f: z.string().min(1).max(256), n: z.number().int().min(0), h: z.array(HintSchema) });

/** Whether `hint` is a hint a receiver would accept (publishing anything else would only be dropped there). */
export function isValidHint(hint: Hint): boolean {
  return HintSchema.safeParse(hint).success;
}

function mac(body: string, secret: Buffer): string {
  return createHmac("sha256", secret).update(body).digest("base64url");
}

/** The bytes a payload of `from` takes besides its hints' JSON and the commas between them. */
export function envelopeBytes(from: string): number {
  // the payload number: at most 16 digits
  return MAC_CHARS + 1 + Buffer.byteLength(`{"f":${JSON.stringify(from)},"n":${"9".repeat(16)},"h":[]}`);
}

/** The signed payload of hints already turned to JSON. */
export function encodePayload(from: string, n: number, hintsJson: readonly string[], secret: Buffer): string {
  const body = `{"f":${JSON.stringify(from)},"n":${n},"h":[${hintsJson.join(",")}]}`;
  return `${mac(body, secret)}.${body}`;
}

/** A payload's sender and hints, or undefined when its MAC is missing or wrong or its body is malformed. */
export function decodePayload(payload: string, secret: Buffer): { from: string; hints: Hint[] } | undefined {
  const dot = payload.indexOf(".");
  if (dot !== MAC_CHARS) return undefined;
  const body = payload.slice(dot + 1);
  const given = Buffer.from(payload.slice(0, dot), "utf8");
  const expected = Buffer.from(mac(body, secret), "utf8");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  const parsed = BodySchema.safeParse(json);
  return parsed.success ? { from: parsed.data.f, hints: parsed.data.h } : undefined;
}
