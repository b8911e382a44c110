/**
 * Text that came from a file (tensor names, dtype strings, header keys) made safe to print in one line.
 *
 * Invariants of `displayText(s, max)`: the result has no control characters (C0, DEL, C1 — so no ANSI
 * escape sequence and no line break survives), no bidirectional overrides or line separators, and at
 * most `max` characters plus a short "… (N characters)" suffix naming the original length. Every
 * escape is visible (`\n`, `\x1b`, `\u202e`) and a literal backslash is doubled, so distinct inputs
 * stay distinguishable.
 */

/** Characters that could move the cursor, end the line or reorder text on a terminal, and `\`. */
const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\\]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const SHORT_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\' };

function escapeChar(ch: string): string {
  const short = SHORT_ESCAPES[ch];
  if (short) return short;
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Characters as a reader counts them: a surrogate pair is one. */
function codePointCount(s: string): number {
  return s.length - (s.match(/[\ud800-\udbff][\udc00-\udfff]/g)?.length ?? 0);
}

/**
 * `s` with every unsafe character escaped, cut to at most `max` characters of output; a cut is marked
 * with an ellipsis and the length of the original text.
 */
export function displayText(s: string, max = 200): string {
  let out = '';
  for (const ch of s) {
    // A lone surrogate comes out of `for…of` on its own, so the pattern sees it unpaired.
    const piece = UNSAFE.test(ch) ? escapeChar(ch) : ch;
    if (out.length + piece.length > max) return `${out}… (${codePointCount(s)} characters)`;
    out += piece;
  }
  return out;
}
