import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { displayText } from '../../src/core/text.js';

/** Characters a terminal acts on, or that reorder or split a line. */
const DANGEROUS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/;

/** Undoes displayText's escapes (an independent decoder for the round-trip property). */
function unescape(s: string): string {
  return s.replace(/\\(x[0-9a-f]{2}|u[0-9a-f]{4}|[nrt\\])/g, (_, e: string) => {
    if (e === 'n') return '\n';
    if (e === 'r') return '\r';
    if (e === 't') return '\t';
    if (e === '\\') return '\\';
    return String.fromCharCode(parseInt(e.slice(1), 16));
  });
}

/** Printable ASCII mixed with every kind of character displayText must escape or keep whole. */
const TEXT_UNIT = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }),
  fc.integer({ min: 0, max: 0x9f }).map((c) => String.fromCharCode(c)),
  fc.constantFrom('\\', '\u2028', '\u202e', '\u2066', '\ufeff', '\ud800', '\udfff', '😀', 'é', '…'),
);

describe('displayText', () => {
  it('escapes ANSI sequences, line breaks, C1 controls and bidi overrides visibly', () => {
    expect(displayText('a\u001b[31mred\u001b[0m\nb')).toBe('a\\x1b[31mred\\x1b[0m\\nb');
    expect(displayText('\u009b2J\r\t\u202eevil\u2028')).toBe('\\x9b2J\\r\\t\\u202eevil\\u2028');
    expect(displayText('C:\\x1b')).toBe('C:\\\\x1b');
    expect(displayText('model.layers.0.weight')).toBe('model.layers.0.weight');
  });

  it('keeps astral characters whole and escapes lone surrogates', () => {
    expect(displayText('w😀')).toBe('w😀');
    expect(displayText('a\ud800b\udc00')).toBe('a\\ud800b\\udc00');
  });

  it('cuts long text with an ellipsis and the original length', () => {
    expect(displayText('x'.repeat(10_000_000))).toBe(`${'x'.repeat(200)}… (10000000 characters)`);
    expect(displayText('abcdef', 4)).toBe('abcd… (6 characters)');
    expect(displayText('\n\n\n', 4)).toBe('\\n\\n… (3 characters)');
  });

  it('is safe, bounded and faithful for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: TEXT_UNIT, maxLength: 300 }), fc.integer({ min: 8, max: 250 }), (s, max) => {
        const out = displayText(s, max);
        expect(out).not.toMatch(DANGEROUS);
        const cut = out.lastIndexOf('… (');
        const body = out.length > max ? out.slice(0, cut) : out;
        expect(body.length).toBeLessThanOrEqual(max);
        if (body === out) expect(unescape(out)).toBe(s);
        else expect(s.startsWith(unescape(body))).toBe(true);
      }),
      { seed: 0x7e47, numRuns: 400 },
    );
  });
});
