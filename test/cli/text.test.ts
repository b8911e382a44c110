// The one table formatter (displayText itself is tested in test/core/text.test.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatTable, left, right } from '../../src/cli/table.js';

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
