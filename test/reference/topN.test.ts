/**
 * selectTopN and nthLargest (src/reference/topN.ts, the exact solver's line step) against a stable
 * sort: the N largest by descending value, ties toward the lower index, and the floor rule.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nthLargest, selectTopN } from '../../src/reference/topN.js';

/** Small integers (many ties, and values equal to the floor) or wide reals. */
const valuesArb = fc.oneof(
  fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 2, maxLength: 12 }),
  fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 2, maxLength: 12 }),
);

describe('selectTopN', () => {
  it('keeps the N largest (ties: lower index) and returns the N-th largest, or applies the floor', () => {
    fc.assert(
      fc.property(valuesArb, fc.nat(), fc.oneof(fc.constant(-Infinity), fc.integer({ min: -3, max: 3 })), (list, seed, floor) => {
        const values = Float64Array.from(list);
        const m = values.length;
        const n = 1 + (seed % (m - 1));
        const before = Float64Array.from(values);
        const keep = new Uint8Array(m).fill(7);
        const threshold = selectTopN(values, n, floor, keep, new Float64Array(m));
        expect(values).toEqual(before);
        const order = Array.from({ length: m }, (_, k) => k).sort((x, y) => (values[y] as number) - (values[x] as number) || x - y);
        const nth = values[order[n - 1] as number] as number;
        expect(nthLargest(values, n, new Float64Array(m))).toBe(nth);
        if (nth < floor) {
          expect(threshold).toBe(floor);
          expect(Array.from(keep)).toEqual(Array.from(values, (x) => (x > floor ? 1 : 0)));
        } else {
          expect(threshold).toBe(nth);
          const top = new Set(order.slice(0, n));
          expect(Array.from(keep)).toEqual(Array.from(values, (_, k) => (top.has(k) ? 1 : 0)));
        }
      }),
      { seed: 18, numRuns: 500 },
    );
  });
});
