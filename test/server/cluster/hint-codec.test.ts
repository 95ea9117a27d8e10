import { describe, expect, it } from "vitest";
import type { Hint } from "../../../server/cluster/cluster.js";
import { decodePayload, encodePayload, envelopeBytes, isValidHint, NOTIFY_LIMIT_BYTES } from "../../../server/cluster/postgres/hint-codec.js";
import { PlanEvents } from "../store/plan-events.js";

const secret = Buffer.from("a cluster secret of enough bytes");

describe("hint codec", () => {
  const p = new PlanEvents("p1");
  const hints: Hint[] = [
    { kind: "events", planId: "p1", events: [p.submitted(), p.vote()] },
    { kind: "head", planId: "p1", seq: 2 },
    { kind: "presence", planId: "p1" },
    { kind: "route", planId: "p2" },
    { kind: "cancel", planId: "p3" },
    { kind: "tool", to: "node-b", callId: "0b1e" },
  ];

  it("reads back the sender and the hints of a payload signed with the secret", () => {
    const payload = encodePayload("node-a", 7, hints.map((h) => JSON.stringify(h)), secret);
    expect(decodePayload(payload, secret)).toEqual({ from: "node-a", hints });
  });

  it("refuses a payload with a wrong, missing or truncated MAC, another secret, or a body changed after signing", () => {
    const payload = encodePayload("node-a", 1, [JSON.stringify(hints[2])], secret);
    const [mac, body] = [payload.slice(0, payload.indexOf(".")), payload.slice(payload.indexOf(".") + 1)];
    expect(decodePayload(body, secret)).toBeUndefined();
    expect(decodePayload(`.${body}`, secret)).toBeUndefined();
    expect(decodePayload(`${mac.slice(1)}.${body}`, secret)).toBeUndefined();
    expect(decodePayload(`${mac.slice(0, -1)}${mac.endsWith("A") ? "B" : "A"}.${body}`, secret)).toBeUndefined();
    expect(decodePayload(payload, Buffer.from("another secret of enough bytes!!"))).toBeUndefined();
    expect(decodePayload(`${mac}.${body.replace("p1", "p9")}`, secret)).toBeUndefined();
  });

  it("refuses a correctly signed body that is not hints", () => {
    expect(decodePayload(encodePayload("node-a", 1, ['{"kind":"nonsense"}'], secret), secret)).toBeUndefined();
    expect(decodePayload(encodePayload("node-a", 1, ['{"kind":"presence","planId":"bad id!"}'], secret), secret)).toBeUndefined();
    expect(isValidHint({ kind: "head", planId: "p1", seq: -1 })).toBe(false);
    expect(isValidHint(hints[0]!)).toBe(true);
  });

  it("counts the envelope so that a payload of the target size stays below the NOTIFY limit", () => {
    const hint = JSON.stringify({ kind: "presence", planId: "p".repeat(64) });
    const count = Math.floor((7_000 - envelopeBytes("node-a")) / (hint.length + 1));
    const payload = encodePayload("node-a", Number.MAX_SAFE_INTEGER, Array.from({ length: count }, () => hint), secret);
    expect(Buffer.byteLength(payload)).toBeLessThanOrEqual(7_000);
    expect(Buffer.byteLength(payload)).toBeLessThan(NOTIFY_LIMIT_BYTES);
  });
});
