/**
 * The helpers of SparseGPT's sweep spec (src/reference/obsSweep.ts) against plain index loops: each
 * writes exactly its own entries and reads only what its contract names (U's upper triangle, the
 * first `rows` rows of W). The sweep itself is tested against an unblocked OBS in
 * test/prune/pruneLayer.test.ts and across backends in test/prune/linalg.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gaussianMatrix } from '../../src/core/random.js';
import { blockColumns, blockCorner, lazyOperand, obsSweep, slabScores, sweepSlab } from '../../src/reference/obsSweep.js';
import { checkStandard } from '../../src/verify/validity.js';

/** A block [i1, i2) of n columns. */
const blockArb = fc
  .record({ n: fc.integer({ min: 1, max: 12 }), a: fc.nat(), b: fc.nat(), rows: fc.integer({ min: 1, max: 5 }), seed: fc.nat() })
  .map(({ n, a, b, rows, seed }) => {
    const i1 = a % n;
    const i2 = i1 + 1 + (b % (n - i1));
    return { n, i1, i2, rows, seed };
  });

/** `length` seeded N(0, 1) values. */
function values(length: number, seed: number): Float32Array {
  return gaussianMatrix(1, length, seed).data;
}

describe('the helpers of the sweep spec', () => {
  it('blockColumns: the rows × (i2 − i1) block of the first `rows` rows, whatever follows them', () => {
    fc.assert(
      fc.property(blockArb, ({ n, i1, i2, rows, seed }) => {
        // One row more than `rows` of data: the helper must not read it.
        const w = values((rows + 1) * n, seed);
        const width = i2 - i1;
        const expected = Float32Array.from({ length: rows * width }, (_, k) => w[Math.floor(k / width) * n + i1 + (k % width)] as number);
        expect(blockColumns(w, rows, n, i1, i2)).toEqual(expected);
        const out = new Float32Array(rows * width);
        expect(blockColumns(w, rows, n, i1, i2, out)).toBe(out);
        expect(out).toEqual(expected);
      }),
      { seed: 61, numRuns: 300 },
    );
  });

  it('blockCorner and lazyOperand: U[i1..i2, i1..i2) and U[i1..i2, i2..n) (f32), exactly sized', () => {
    fc.assert(
      fc.property(blockArb, ({ n, i1, i2, seed }) => {
        const u = Float64Array.from(values(n * n, seed), (x) => x * 1.000000001);
        const width = i2 - i1;
        const rest = n - i2;
        const corner = Float64Array.from({ length: width * width }, (_, k) => u[(i1 + Math.floor(k / width)) * n + i1 + (k % width)] as number);
        expect(blockCorner(u, n, i1, i2)).toEqual(corner);
        const lazy = Float32Array.from({ length: width * rest }, (_, k) => u[(i1 + Math.floor(k / rest)) * n + i2 + (k % rest)] as number);
        // A sentinel past the end: the operand is exactly width × rest.
        const out = new Float32Array(width * rest + 1).fill(7);
        lazyOperand(u, n, i1, i2, out);
        expect(out.subarray(0, width * rest)).toEqual(lazy);
        expect(out[width * rest]).toBe(7);
      }),
      { seed: 62, numRuns: 300 },
    );
  });

  it('slabScores writes its m scores at outAt and nothing after them', () => {
    const width = 8;
    const m = 4;
    const x = Float64Array.from(values(2 * width, 3));
    const u = Float64Array.from(values(width * width, 4), (v) => v + 3);
    const out = new Float32Array(2 * m).fill(-1);
    slabScores(x, 0, u, width, 0, m, out, 0);
    for (let t = 0; t < m; t++) expect(out[t]).toBe(Math.fround(((x[t] as number) ** 2) / (u[t * width + t] as number) ** 2));
    expect(Array.from(out.subarray(m))).toEqual([-1, -1, -1, -1]);
  });

  it('sweepSlab changes only its own row, reading U above the diagonal only', () => {
    const width = 8;
    const m = 4;
    const x = Float64Array.from(values(2 * width, 5));
    const secondRow = x.slice(width);
    // U with nonzero entries below the diagonal, which the sweep must never read.
    const u = Float64Array.from(values(width * width, 6), (v, k) => (k % width === Math.floor(k / width) ? v + 3 : v));
    const keep = Uint8Array.from([1, 0, 1, 0]);
    const err = new Float32Array(2 * width);
    sweepSlab(x, 0, u, width, 0, m, keep, 0, err);
    expect(x.subarray(width)).toEqual(secondRow);
    expect(Array.from(err.subarray(width))).toEqual(new Array<number>(width).fill(0));
    expect([x[1], x[3]]).toEqual([0, 0]);
  });

  it('obsSweep runs without a context and gives a valid standard mask', () => {
    const rows = 3;
    const n = 8;
    const w = values(rows * n, 9);
    const u = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) u[i * n + j] = i === j ? 1 + i / 10 : 0.05;
    const { weights, mask } = obsSweep(w, rows, n, u, 2, 4, 4);
    expect(weights).toHaveLength(rows * n);
    expect(checkStandard(mask, rows, n, 2, 4).valid).toBe(true);
    for (let i = 0; i < rows * n; i++) if (!mask[i]) expect(weights[i]).toBe(0);
  });
});
