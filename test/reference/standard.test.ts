import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NmsparseError } from '../../src/core/errors.js';
import { standardMask } from '../../src/masks.js';
import { standardRows } from '../../src/reference/standard.js';
import { checkStandard } from '../../src/verify/validity.js';

const patterns = fc.constantFrom<[number, number]>([1, 2], [2, 4], [3, 4], [1, 8], [4, 8], [8, 16], [16, 32], [2, 5]);

/** Tied small integers, wide reals, and zeros all appear. */
const value = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.float({ noNaN: true, noDefaultInfinity: true, min: Math.fround(-1e30), max: Math.fround(1e30) }));

describe('standard N:M reference', () => {
  it('keeps exactly the N largest of every group, ties toward the lower index', () => {
    fc.assert(
      fc.property(patterns, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.infiniteStream(value), ([n, m], rows, groups, values) => {
        const cols = groups * m;
        const it = values[Symbol.iterator]();
        const data = Float32Array.from({ length: rows * cols }, () => it.next().value as number);
        const mask = standardRows(data, rows, cols, n, m);
        expect(checkStandard(mask, rows, cols, n, m).valid).toBe(true);
        for (let g = 0; g < rows * cols; g += m) {
          // Oracle: a stable sort by descending score keeps the first N.
          const order = Array.from({ length: m }, (_, j) => j).sort((a, b) => (data[g + b] as number) - (data[g + a] as number) || a - b);
          const keep = new Set(order.slice(0, n));
          for (let j = 0; j < m; j++) expect(mask[g + j]).toBe(keep.has(j) ? 1 : 0);
        }
      }),
      { seed: 11, numRuns: 300 },
    );
  });
});

describe('standardMask API', () => {
  it('returns the mask, its objective and the backend', async () => {
    const r = await standardMask([[1, 5, 3, 2, 0, 0, 7, 7]], { n: 2, m: 4, backend: 'reference' });
    expect(Array.from(r.mask)).toEqual([0, 1, 1, 0, 0, 0, 1, 1]);
    expect(r.objective).toBe(22);
    expect(r.backend).toBe('reference');
  });

  it('rejects bad patterns and shapes with NmsparseError', async () => {
    const bad = [
      () => standardMask([[1, 2, 3, 4]], { n: 4, m: 4 }),
      () => standardMask([[1, 2, 3, 4, 5]], { n: 2, m: 4 }),
      () => standardMask([[1, 2, 3, Number.NaN]], { n: 2, m: 4 }),
      () => standardMask([[1, 2, 3, 4]], { n: 2, m: 4, backend: 'nope' as never }),
    ];
    for (const f of bad) await expect(f()).rejects.toBeInstanceOf(NmsparseError);
  });

  it('honours an AbortSignal', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      standardMask({ rows: 4, cols: 8, data: new Float32Array(32) }, { n: 2, m: 4, backend: 'reference', signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'E_ABORTED' });
  });

  it('writes rows [rowStart, rowEnd) only, into the output it is given', () => {
    const scores = Float32Array.from({ length: 4 * 10 }, (_, k) => (k * 37) % 11);
    const whole = standardRows(scores, 4, 10, 2, 5);
    const out = new Uint8Array(40).fill(7);
    expect(standardRows(scores, 4, 10, 2, 5, 1, 3, out)).toBe(out);
    expect(Array.from(out.subarray(10, 30))).toEqual(Array.from(whole.subarray(10, 30)));
    expect([...out.subarray(0, 10), ...out.subarray(30)].every((x) => x === 7)).toBe(true);
  });
});
