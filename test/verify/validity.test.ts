import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkStandard, checkTransposable, MAX_LISTED_VIOLATIONS, type Violation } from '../../src/verify/validity.js';
import { standardViolations, transposableViolations } from '../support/validityOracle.js';
import type { Fill } from '../../src/core/types.js';

describe('checkStandard', () => {
  it('reports −1 and 0.5 as value violations, located', () => {
    const r = checkStandard([1, 0, -1, 0, 0.5, 1, 0, 0], 2, 4, 1, 4, 'atMost');
    expect(r.violations).toEqual([
      { kind: 'value', row: 0, col: 2, value: -1 },
      { kind: 'value', row: 1, col: 0, value: 0.5 },
    ]);
    expect(r).toMatchObject({ valid: false, violationCount: 2 });
  });

  it('[2, 1, 0, 0] under 1:4: a value violation, and the group counts only its 1', () => {
    const r = checkStandard([2, 1, 0, 0], 1, 4, 1, 4, 'exact');
    expect(r).toEqual({ valid: false, violationCount: 1, violations: [{ kind: 'value', row: 0, col: 0, value: 2 }] });
    const short = checkStandard([2, 0, 0, 0], 1, 4, 1, 4, 'exact');
    expect(short.violations[1]).toEqual({ kind: 'group', row: 0, col: 0, count: 0, expected: 'exactly 1' });
  });

  it('defaults to fill exact: an under-full group is rejected without a fill, accepted under atMost', () => {
    const mask = [1, 0, 0, 0, 1, 1, 0, 0];
    expect(checkStandard(mask, 1, 8, 2, 4)).toEqual({
      valid: false,
      violationCount: 1,
      violations: [{ kind: 'group', row: 0, col: 0, count: 1, expected: 'exactly 2' }],
    });
    expect(checkStandard(mask, 1, 8, 2, 4, 'atMost').valid).toBe(true);
    expect(checkStandard([1, 1, 1, 0], 1, 4, 2, 4, 'atMost').violations).toEqual([
      { kind: 'group', row: 0, col: 0, count: 3, expected: 'at most 2' },
    ]);
  });
});

describe('checkTransposable', () => {
  it('reports −1 and 0.5 as value violations and does not count them as kept', () => {
    const mask = [1, 0, 0, 1, -1, 0, 0.5, 0];
    const r = checkTransposable(mask, 4, 2, 1, 2, 'exact');
    expect(r.violations.slice(0, 2)).toEqual([
      { kind: 'value', row: 2, col: 0, value: -1 },
      { kind: 'value', row: 3, col: 0, value: 0.5 },
    ]);
    expect(r.violations.slice(2)).toEqual([
      { kind: 'tileRow', tileRow: 1, tileCol: 0, row: 2, count: 0, expected: 'exactly 1' },
      { kind: 'tileColumn', tileRow: 1, tileCol: 0, col: 0, count: 0, expected: 'exactly 1' },
      { kind: 'tileRow', tileRow: 1, tileCol: 0, row: 3, count: 0, expected: 'exactly 1' },
      { kind: 'tileColumn', tileRow: 1, tileCol: 0, col: 1, count: 0, expected: 'exactly 1' },
    ]);
  });
});

/** Masks that are mostly valid-looking 0/1 with a few bad values, on shapes of whole groups or tiles. */
const maskCase = fc
  .record({
    m: fc.integer({ min: 2, max: 5 }),
    tileRows: fc.integer({ min: 1, max: 3 }),
    tileCols: fc.integer({ min: 1, max: 3 }),
    fill: fc.constantFrom<Fill>('exact', 'atMost'),
    density: fc.constantFrom(0.2, 0.5, 0.8),
  })
  .chain(({ m, tileRows, tileCols, fill, density }) =>
    fc.record({
      m: fc.constant(m),
      n: fc.integer({ min: 1, max: m - 1 }),
      rows: fc.constant(tileRows * m),
      cols: fc.constant(tileCols * m),
      fill: fc.constant(fill),
      mask: fc.array(
        fc.oneof(
          { weight: 30, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }).map((r) => (r < density ? 1 : 0)) },
          { weight: 1, arbitrary: fc.constantFrom(2, -1, 0.5) },
        ),
        { minLength: tileRows * m * tileCols * m, maxLength: tileRows * m * tileCols * m },
      ),
    }),
  );

function expectSameReport(actual: ReturnType<typeof checkStandard>, all: Violation[]): void {
  expect(actual.violationCount).toBe(all.length);
  expect(actual.valid).toBe(all.length === 0);
  expect(actual.violations).toEqual(all.slice(0, MAX_LISTED_VIOLATIONS));
}

describe('validity against an independent oracle', () => {
  it('checkStandard lists, counts and locates what the oracle finds', () => {
    fc.assert(
      fc.property(maskCase, ({ m, n, rows, cols, fill, mask }) => {
        expectSameReport(checkStandard(mask, rows, cols, n, m, fill), standardViolations(mask, rows, cols, n, m, fill));
      }),
      { seed: 161, numRuns: 300 },
    );
  });

  it('checkTransposable lists, counts and locates what the oracle finds', () => {
    fc.assert(
      fc.property(maskCase, ({ m, n, rows, cols, fill, mask }) => {
        expectSameReport(checkTransposable(mask, rows, cols, n, m, fill), transposableViolations(mask, rows, cols, n, m, fill));
      }),
      { seed: 162, numRuns: 300 },
    );
  });

  it('lists the first 10 violations only, and counts them all', () => {
    const r = checkStandard(new Array(4 * 12).fill(0), 4, 12, 1, 4, 'exact');
    expect(r.violationCount).toBe(12);
    expect(MAX_LISTED_VIOLATIONS).toBe(10);
    expect(r.violations).toHaveLength(10);
    expect(r.violations[9]).toEqual({ kind: 'group', row: 3, col: 0, count: 0, expected: 'exactly 1' });
  });
});
