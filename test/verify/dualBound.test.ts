import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchUpperBound, recomputedUpperBound, relativeGap, tileUpperBound } from '../../src/verify/dualBound.js';
import { certify } from '../../src/verify/certify.js';
import { bruteforceTiles } from '../support/bruteforce.js';
import { gaussianMatrix } from '../support/random.js';
import type { ExactSolution, Fill, TileBatch } from '../../src/core/types.js';

/**
 * The LP-dual bound written out term by term, N·Σu + N·Σv + Σ max(0, a_ij − u_i − v_j), with the
 * potentials clamped at 0 under atMost: an independent oracle, exact on small integers.
 */
function naiveBound(tiles: Float32Array, t: number, m: number, n: number, fill: Fill, u: Float64Array, v: Float64Array): number {
  const clamp = (x: number) => (fill === 'atMost' ? Math.max(0, x) : x);
  let total = 0;
  for (let i = 0; i < m; i++) total += n * clamp(u[t * m + i] as number) + n * clamp(v[t * m + i] as number);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      const reduced = (tiles[t * m * m + i * m + j] as number) - clamp(u[t * m + i] as number) - clamp(v[t * m + j] as number);
      total += Math.max(0, reduced);
    }
  }
  return total;
}

/** Tiles and potentials of small signed integers: every sum is exact, so any formula change shows. */
const integerCase = fc
  .record({
    m: fc.integer({ min: 2, max: 9 }),
    count: fc.integer({ min: 1, max: 3 }),
    fill: fc.constantFrom<Fill>('exact', 'atMost'),
  })
  .chain(({ m, count, fill }) =>
    fc.record({
      m: fc.constant(m),
      n: fc.integer({ min: 1, max: m - 1 }),
      fill: fc.constant(fill),
      batch: fc
        .array(fc.integer({ min: -20, max: 20 }), { minLength: count * m * m, maxLength: count * m * m })
        .map((data): TileBatch => ({ tiles: Float32Array.from(data), count, m })),
      u: fc.array(fc.integer({ min: -8, max: 8 }), { minLength: count * m, maxLength: count * m }).map((x) => Float64Array.from(x)),
      v: fc.array(fc.integer({ min: -8, max: 8 }), { minLength: count * m, maxLength: count * m }).map((x) => Float64Array.from(x)),
    }),
  );

describe('tileUpperBound', () => {
  it('equals the term-by-term formula for any signed potentials, both fills, every tile of a batch', () => {
    fc.assert(
      fc.property(integerCase, ({ m, n, fill, batch, u, v }) => {
        for (let t = 0; t < batch.count; t++) {
          expect(tileUpperBound(batch.tiles, t, m, n, fill, u, v)).toBe(naiveBound(batch.tiles, t, m, n, fill, u, v));
        }
        const solution: ExactSolution = { mask: new Uint8Array(batch.count * m * m), u, v };
        let sum = 0;
        for (let t = 0; t < batch.count; t++) sum += naiveBound(batch.tiles, t, m, n, fill, u, v);
        expect(recomputedUpperBound(batch, n, fill, solution)).toBe(sum);
        expect(batchUpperBound(batch, n, fill, solution)).toBe(sum);
      }),
      { seed: 16, numRuns: 300 },
    );
  });

  it('under atMost with negative u or v still bounds the optimum (the floor at 0 is what makes it valid)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 5 }).chain((m) =>
          fc.record({
            m: fc.constant(m),
            n: fc.integer({ min: 1, max: m - 1 }),
            tile: fc.array(fc.integer({ min: -3, max: 6 }), { minLength: m * m, maxLength: m * m }),
            u: fc.array(fc.integer({ min: -9, max: 2 }), { minLength: m, maxLength: m }),
            v: fc.array(fc.integer({ min: -9, max: 2 }), { minLength: m, maxLength: m }),
          }),
        ),
        ({ m, n, tile, u, v }) => {
          const batch: TileBatch = { tiles: Float32Array.from(tile), count: 1, m };
          const optimum = bruteforceTiles(batch, n, 'atMost').objectives[0] as number;
          expect(tileUpperBound(batch.tiles, 0, m, n, 'atMost', Float64Array.from(u), Float64Array.from(v))).toBeGreaterThanOrEqual(optimum);
        },
      ),
      { seed: 17, numRuns: 200 },
    );
    // One case by hand: a tile of ones with u = v = −1 bounds 2·4 = 8 kept ones by 0 + 16, not by −16 + 48.
    const ones = new Float32Array(16).fill(1);
    const minusOne = new Float64Array(4).fill(-1);
    expect(tileUpperBound(ones, 0, 4, 2, 'atMost', minusOne, minusOne)).toBe(16);
    expect(tileUpperBound(ones, 0, 4, 2, 'exact', minusOne, minusOne)).toBe(-16 + 48);
  });

  it('is finite and exact for M = 64 after smaller tiles (its column scratch grows)', () => {
    for (const m of [4, 64, 33]) {
      const tiles = Float32Array.from({ length: m * m }, (_, k) => (k * 7) % 5);
      const u = Float64Array.from({ length: m }, (_, i) => i % 3);
      const v = Float64Array.from({ length: m }, (_, j) => (j % 4) - 1);
      expect(tileUpperBound(tiles, 0, m, 2, 'exact', u, v)).toBe(naiveBound(tiles, 0, m, 2, 'exact', u, v));
    }
  });

  it('a transposable 32:64 certificate is finite and tight for the exact mask', async () => {
    const scores = gaussianMatrix(64, 64, 5);
    const { transposableMask } = await import('../../src/masks.js');
    const best = await transposableMask(scores, { n: 32, m: 64, backend: 'reference' });
    const c = await certify(scores, best.mask, { n: 32, m: 64, transposable: true, backend: 'reference' });
    expect(Number.isFinite(c.upperBound)).toBe(true);
    expect(c.valid).toBe(true);
    expect(Math.abs(c.gap)).toBeLessThanOrEqual(1e-9);
  });

  it('batchUpperBound takes the backend’s own sum when the solution carries one', () => {
    const batch: TileBatch = { tiles: new Float32Array(16).fill(1), count: 1, m: 4 };
    const solution: ExactSolution = { mask: new Uint8Array(16), u: new Float64Array(4), v: new Float64Array(4), upperBound: 123 };
    expect(batchUpperBound(batch, 2, 'exact', solution)).toBe(123);
    expect(recomputedUpperBound(batch, 2, 'exact', solution)).toBe(16);
  });
});

describe('relativeGap', () => {
  it('takes exact values: relative to |upperBound|, and to the larger magnitude when the bound is 0', () => {
    expect(relativeGap(1 + 1e-9, 1)).toBe((1 + 1e-9 - 1) / (1 + 1e-9));
    expect(relativeGap(-2, -3)).toBe(0.5);
    expect(relativeGap(0, -5)).toBe(1);
    expect(relativeGap(-5, 0)).toBe(-1);
    expect(relativeGap(1, 2)).toBe(-1);
    expect(relativeGap(4, 3)).toBe(0.25);
  });

  it('counts differences within 1e-12 of the larger magnitude as 0 (the boundary included), and 0/0 as 0', () => {
    expect(relativeGap(0, 0)).toBe(0);
    expect(relativeGap(7, 7)).toBe(0);
    expect(relativeGap(1e12, 1e12 - 1)).toBe(0);
    expect(relativeGap(1e12 - 1, 1e12)).toBe(0);
    expect(relativeGap(1e12, 1e12 - 2)).toBe(2 / 1e12);
    expect(relativeGap(-1e12, -1e12 + 2)).toBe(-2 / 1e12);
  });
});
