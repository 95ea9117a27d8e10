/**
 * Untrusted text (plan descriptions, step ids, tool names, error messages, reasons, comments,
 * principal names…) made safe to print on a terminal, so that a plan cannot erase a line, move
 * the cursor, set the window title, hide a step or reorder what a reviewer reads.
 *
 * Every character that can steer a terminal or hide itself is shown as a visible escape,
 * `\u` and four lowercase hex digits, the form JSON uses (`ESC` → `\u001b`):
 * - C0 controls (U+0000–U+001F) and DEL (U+007F); a tab becomes one space instead, and a
 *   newline is kept only by {@link terminalSafeText} (where a CR LF pair becomes a newline);
 * - C1 controls (U+0080–U+009F, e.g. U+009B, the one-character CSI);
 * - bidi controls: U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069;
 * - invisible format characters and separators: U+200B, U+2028, U+2029, U+2060–U+2064,
 *   U+206A–U+206F, U+FEFF, U+FFF9–U+FFFB, and unpaired surrogates.
 * Everything else is kept, including U+200C / U+200D (joiners that scripts and emoji need),
 * variation selectors, accented letters, emoji and CJK. The escapes are for reading only: a
 * backslash in the text is not escaped, so the result cannot be decoded back.
 */

const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff]/gu;

function escapeCharacter(character: string): string {
  return `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

function escapeUnsafe(text: string, keepNewlines: boolean): string {
  return text.replace(UNSAFE, (character) => (keepNewlines && character === "\n" ? "\n" : escapeCharacter(character)));
}

/** One line of untrusted text for a terminal: every control, newlines included, escaped (see the module's TSDoc); tabs become spaces. */
export function terminalSafeLine(text: string): string {
  return escapeUnsafe(text.replace(/\t/g, " "), false);
}

/** Untrusted text that may span lines, for a terminal: like {@link terminalSafeLine} but newlines (and CR LF, as a newline) are kept. */
export function terminalSafeText(text: string): string {
  return escapeUnsafe(text.replace(/\t/g, " ").replace(/\r\n/g, "\n"), true);
}

/**
 * `JSON.stringify(value, null, space)` safe for a terminal and still valid JSON with the same
 * value: JSON already escapes C0 controls inside strings, and this also escapes (as `\uXXXX`)
 * DEL, C1 controls, bidi and invisible format characters, which JSON leaves raw.
 */
export function terminalSafeJson(value: unknown, space?: number): string {
  return terminalSafeText(JSON.stringify(value, null, space) ?? "null");
}
