import { describe, expect, it } from "vitest";
import { terminalSafeJson, terminalSafeLine, terminalSafeText } from "../../shared/index.js";

/** Any character the sanitiser must never let through raw (newline aside). */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]/u;

const codePoints = (from: number, to: number): string => Array.from({ length: to - from + 1 }, (_, i) => String.fromCharCode(from + i)).join("");

describe("terminalSafeLine", () => {
  it("shows C0 controls, DEL and C1 controls as \\uXXXX escapes", () => {
    expect(terminalSafeLine("a\x1b[2K\rb")).toBe("a\\u001b[2K\\u000db");
    expect(terminalSafeLine("\x1b]0;title\x07")).toBe("\\u001b]0;title\\u0007");
    expect(terminalSafeLine("x\x08\x08y\x00\x7f")).toBe("x\\u0008\\u0008y\\u0000\\u007f");
    expect(terminalSafeLine("\x9b31mred\x85")).toBe("\\u009b31mred\\u0085");
    const every = codePoints(0x00, 0x08) + codePoints(0x0a, 0x1f) + "\x7f" + codePoints(0x80, 0x9f);
    const safe = terminalSafeLine(every);
    expect(safe).not.toMatch(RAW_CONTROL);
    expect(safe).toMatch(/^(\\u00[0-9a-f]{2}){64}$/);
  });

  it("escapes newlines (it is one line) and turns tabs into spaces", () => {
    expect(terminalSafeLine("one\ntwo\r\nthree")).toBe("one\\u000atwo\\u000d\\u000athree");
    expect(terminalSafeLine("a\tb")).toBe("a b");
  });

  it("escapes bidi controls and invisible format characters", () => {
    expect(terminalSafeLine("file\u202Egnp.exe")).toBe("file\\u202egnp.exe");
    for (const c of ["\u061c", "\u200b", "\u200e", "\u200f", "\u2028", "\u2029", "\u202a", "\u202b", "\u202c", "\u202d", "\u2060", "\u2064", "\u2066", "\u2067", "\u2068", "\u2069", "\u206a", "\u206f", "\ufeff", "\ufff9", "\ufffb"]) {
      expect(terminalSafeLine(`a${c}b`)).toBe(`a\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}b`);
    }
  });

  it("escapes unpaired surrogates but keeps pairs", () => {
    expect(terminalSafeLine("a\ud800b")).toBe("a\\ud800b");
    expect(terminalSafeLine("🚀")).toBe("🚀");
  });

  it("keeps ordinary text: ASCII, accents, emoji (with joiners and variation selectors), CJK, RTL letters", () => {
    const normal = "Déjà vu — naïve café · 🚀 👨‍👩‍👧 ❤️ · 日本語のテキスト · 한국어 · עברית · مرحبا · می‌خواهم · C:\\path \"quoted\" {json}";
    expect(terminalSafeLine(normal)).toBe(normal);
  });

  it("is idempotent", () => {
    const once = terminalSafeLine("\x1b[2K\r✓ approved\u202e");
    expect(terminalSafeLine(once)).toBe(once);
  });
});

describe("terminalSafeText", () => {
  it("keeps newlines (CR LF becomes a newline) and escapes every other control", () => {
    expect(terminalSafeText("line 1\nline 2\r\nline 3")).toBe("line 1\nline 2\nline 3");
    expect(terminalSafeText("fake\r✓ approved")).toBe("fake\\u000d✓ approved");
    expect(terminalSafeText("a\x1b[1Ab\u202ec\x9bd\te")).toBe("a\\u001b[1Ab\\u202ec\\u009bd e");
  });
});

describe("terminalSafeJson", () => {
  const hostile = { "key\u202e\x9b": "value \x1b[2K\r\u2066\x7f\u2028 café 🚀", list: ["\x07", "日本"] };

  it("is valid JSON with the same value and no raw controls, bidi or format characters", () => {
    const raw = JSON.stringify(hostile);
    expect(raw).toMatch(/[\u0080-\u009f\u202e\u2066\u2028\u007f]/u); // what JSON.stringify leaves raw
    for (const text of [terminalSafeJson(hostile), terminalSafeJson(hostile, 2)]) {
      expect(text.replace(/\n/g, "")).not.toMatch(RAW_CONTROL);
      expect(JSON.parse(text)).toEqual(hostile);
      expect(text).toContain("café 🚀");
    }
    expect(terminalSafeJson(hostile, 2)).toContain('\n  "list"');
    expect(terminalSafeJson(undefined)).toBe("null");
  });
});
