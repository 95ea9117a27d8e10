import { expect } from "vitest";
import type { z } from "zod";

/**
 * Checks that `value` (something the server sent) is exactly what `schema` describes: it parses,
 * and parsing neither drops a key the schema does not know nor adds a default the server left out.
 */
export function expectWireShape(schema: z.ZodType, value: unknown): void {
  const parsed = schema.safeParse(value);
  expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
  expect(parsed.data).toEqual(value);
}

/** Checks a successful acknowledgement (`{ ok: true, ...result }`) against the command's result schema. */
export function expectAckResult(schema: z.ZodType, ack: object): void {
  const { ok, ...result } = ack as { ok?: unknown };
  expect(ok).toBe(true);
  expectWireShape(schema, result);
}
