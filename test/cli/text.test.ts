// The escaping helper and the one table formatter.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { displayText } from '../../src/cli/display.js';
import { formatTable, left, right } from '../../src/cli/table.js';

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

describe('displayText', () => {
  it('never lets a control character through, is bounded, and leaves plain short text alone', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), fc.integer({ min: 1, max: 300 }), (text, max) => {
        const shown = displayText(text, max);
        expect(shown).not.toMatch(CONTROL);
        expect(shown.length).toBeLessThanOrEqual(6 * max + 30);
        if (text.length <= max && !CONTROL.test(text)) expect(shown).toBe(text);
        if (text.length > max) expect(shown).toMatch(new RegExp(`… \\(${text.length} characters\\)$`));
      }),
      { seed: 16, numRuns: 500 },
    );
  });

  it('escapes visibly and cuts huge text before escaping it', () => {
    expect(displayText('a\nb\u001b[31mc\u0000\u2028')).toBe('a\\nb\\x1b[31mc\\x00\\u2028');
    const huge = 'x'.repeat(10_000_000);
    expect(displayText(huge, 20)).toBe(`${'x'.repeat(20)}… (10000000 characters)`);
    expect(displayText('ab😀', 3)).toBe('ab… (4 characters)');
  });
});

describe('formatTable', () => {
  it('pads every column to its widest cell, aligns numbers right, escapes cells', () => {
    const lines = formatTable([left('name'), right('value')], [['a', '1.5'], ['long\nname', '10']]);
    expect(lines).toEqual(['  name        value', '  a             1.5', '  long\\nname     10']);
    expect(formatTable([left('k'), right('v')], [['x', '1']], { indent: '', rule: true })).toEqual(['k  v', '-  -', 'x  1']);
  });

  it('every line of a table has its cells at the same offsets', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ maxLength: 12 }), fc.nat().map(String)), { maxLength: 8 }), (rows) => {
        const lines = formatTable([left('name'), right('n')], rows, { indent: '' });
        const width = (lines[0] as string).length;
        // Right-aligned last column: every line ends at the same place.
        for (const line of lines) expect(line.length).toBe(width);
      }),
      { seed: 17, numRuns: 200 },
    );
  });
});
