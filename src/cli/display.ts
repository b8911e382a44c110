/**
 * Untrusted text (tensor names, metadata, dtype strings, messages that quote a file) made safe to
 * print on one terminal line: C0/C1 control characters (ANSI escapes, newlines, tabs, DEL) and line or
 * paragraph separators become visible escapes (\n, \x1b, \u2028), and text longer than `max` characters
 * is cut with an ellipsis and the original length, so a 10 MB header string prints as one short line.
 * Invariant: the result never contains a control character and is at most 6·max + 30 characters long.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeControl(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`;
}

export function displayText(text: string, max = 200): string {
  // Cut first (on the raw text) so that escaping a huge string costs no more than escaping `max` chars.
  // A cut never splits a surrogate pair.
  const end = max > 0 && /[\ud800-\udbff]/.test(text.charAt(max - 1)) ? max - 1 : max;
  const cut = text.length > max ? `${text.slice(0, end)}… (${text.length} characters)` : text;
  return cut.replace(CONTROL, escapeControl);
}
