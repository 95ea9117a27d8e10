/**
 * The size of a JSON value as text, measured by walking it: nothing is stringified, and the walk
 * stops as soon as the size passes a budget, so measuring a huge value (or one that shares the same
 * sub-value a million times, as resolved `$ref`s do) costs no more than the budget.
 *
 * @example
 * ```ts
 * jsonByteLength({ a: "é" }); // 10, the UTF-8 bytes of '{"a":"é"}'
 * jsonByteLength(hugeValue, 1_048_576) > 1_048_576; // true, after walking about 1 MiB of it
 * ```
 */

/**
 * The UTF-8 byte length of `JSON.stringify(value)` for plain JSON values (what is stored and sent).
 * Once the count passes `budget` the walk stops and a number greater than `budget` (not the full
 * size) is returned. `undefined` entries count as JSON does (left out of objects, `null` in arrays).
 */
export function jsonByteLength(value: unknown, budget = Number.POSITIVE_INFINITY): number {
  const meter = { bytes: 0, budget };
  measure(value, meter, 0);
  return meter.bytes;
}

interface Meter {
  bytes: number;
  budget: number;
}

/** Deeper than this, the rest is counted as over budget (plain JSON is far shallower; see `MAX_JSON_DEPTH`). */
const MAX_WALK_DEPTH = 1_000;

function measure(value: unknown, meter: Meter, depth: number): void {
  if (meter.bytes > meter.budget) return;
  switch (typeof value) {
    case "string":
      meter.bytes += stringBytes(value, meter.budget - meter.bytes);
      return;
    case "number":
      meter.bytes += Number.isFinite(value) ? String(value).length : 4;
      return;
    case "boolean":
      meter.bytes += value ? 4 : 5;
      return;
    case "object":
      break;
    default:
      meter.bytes += 4; // undefined, functions and symbols in an array are written null
      return;
  }
  if (value === null) {
    meter.bytes += 4;
    return;
  }
  if (depth > MAX_WALK_DEPTH) {
    meter.bytes = meter.budget + 1;
    return;
  }
  if (Array.isArray(value)) {
    meter.bytes += value.length === 0 ? 2 : 1 + value.length; // brackets and commas
    for (let i = 0; i < value.length && meter.bytes <= meter.budget; i++) measure(value[i], meter, depth + 1);
    return;
  }
  let members = 0;
  meter.bytes += 2;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const member = (value as Record<string, unknown>)[key];
    if (member === undefined || typeof member === "function" || typeof member === "symbol") continue;
    if (members++ > 0) meter.bytes += 1; // comma
    meter.bytes += stringBytes(key, meter.budget - meter.bytes) + 1; // key and colon
    measure(member, meter, depth + 1);
    if (meter.bytes > meter.budget) return;
  }
}

/** Bytes of a string as a JSON string literal, quotes included; stops counting past `budget`. */
function stringBytes(text: string, budget: number): number {
  let bytes = 2;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      if (c === 0x22 || c === 0x5c) bytes += 2; // \" and \\
      else if (c >= 0x20) bytes += 1;
      else bytes += c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d ? 2 : 6; // \n or \u00XX
    } else if (c < 0x800) {
      bytes += 2;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4; // a surrogate pair: one 4-byte character
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      bytes += 6; // a lone surrogate is written \uXXXX
    } else {
      bytes += 3;
    }
    if (bytes > budget) return bytes;
  }
  return bytes;
}
