import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchUpperBound, recomputedUpperBound, relativeGap, tileUpperBound } from '../../src/reference/dualBound.js';
import { certify } from '../../src/verify/certify.js';
import { transposableMask } from '../../src/masks.js';
import { bruteforceTiles } from '../support/bruteforce.js';
import { gaussianMatrix } from '../support/random.js';
import type { ExactSolution, Fill, TileBatch } from '../../src/core/types.js';

/**
 * The LP-dual bound N·Σ(u_i + v_i) + Σ max(0, a_ij − u_i − v_j), potentials clamped at 0 under atMost,
 * written out plainly, with the slack summed in the documented order that makes the wasm kernel's bound
 * the same bits: four partial sums by column j mod 4, row after row, added as (s0 + s1) + (s2 + s3).
 */
function documentedBound(tiles: Float32Array, t: number, m: number, n: number, fill: Fill, u: Float64Array, v: Float64Array): number {
  const clamp = (x: number) => (fill === 'atMost' ? Math.max(0, x) : x);
  let potentials = 0;
  for (let i = 0; i < m; i++) potentials += clamp(u[t * m + i] as number) + clamp(v[t * m + i] as number);
  const partial = [0, 0, 0, 0];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      const reduced = (tiles[t * m * m + i * m + j] as number) - clamp(u[t * m + i] as number) - clamp(v[t * m + j] as number);
      partial[j % 4] += Math.max(0, reduced);
    }
  }
  const [s0, s1, s2, s3] = partial as [number, number, number, number];
  return n * potentials + (s0 + s1 + (s2 + s3));
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
  it('equals the formula for any signed potentials, both fills, every tile of a batch', () => {
    fc.assert(
      fc.property(integerCase, ({ m, n, fill, batch, u, v }) => {
        for (let t = 0; t < batch.count; t++) {
          expect(tileUpperBound(batch.tiles, t, m, n, fill, u, v)).toBe(documentedBound(batch.tiles, t, m, n, fill, u, v));
        }
        const solution: ExactSolution = { mask: new Uint8Array(batch.count * m * m), u, v };
        let sum = 0;
        for (let t = 0; t < batch.count; t++) sum += documentedBound(batch.tiles, t, m, n, fill, u, v);
        expect(recomputedUpperBound(batch, n, fill, solution)).toBe(sum);
        expect(batchUpperBound(batch, n, fill, solution)).toBe(sum);
      }),
      { seed: 16, numRuns: 300 },
    );
  });

  it('sums in the documented order: bit for bit on tiles and potentials spanning 1e-8 … 1e8, every M mod 4', () => {
    const wide = fc.tuple(fc.double({ min: -8, max: 8, noNaN: true }), fc.boolean()).map(([e, neg]) => (neg ? -1 : 1) * 10 ** e);
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 13 }).chain((m) =>
          fc.record({
            m: fc.constant(m),
            n: fc.integer({ min: 1, max: m - 1 }),
            fill: fc.constantFrom<Fill>('exact', 'atMost'),
            tile: fc.array(wide, { minLength: m * m, maxLength: m * m }),
            u: fc.array(wide, { minLength: m, maxLength: m }),
            v: fc.array(wide, { minLength: m, maxLength: m }),
          }),
        ),
        ({ m, n, fill, tile, u, v }) => {
          const tiles = Float32Array.from(tile);
          const [uu, vv] = [Float64Array.from(u), Float64Array.from(v)];
          expect(Object.is(tileUpperBound(tiles, 0, m, n, fill, uu, vv), documentedBound(tiles, 0, m, n, fill, uu, vv))).toBe(true);
        },
      ),
      { seed: 18, numRuns: 300 },
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

  it('is exact for M = 64 and M = 33, with its own scratch or a caller’s', () => {
    for (const m of [4, 64, 33]) {
      const tiles = Float32Array.from({ length: m * m }, (_, k) => (k * 7) % 5);
      const u = Float64Array.from({ length: m }, (_, i) => i % 3);
      const v = Float64Array.from({ length: m }, (_, j) => (j % 4) - 1);
      expect(tileUpperBound(tiles, 0, m, 2, 'exact', u, v)).toBe(documentedBound(tiles, 0, m, 2, 'exact', u, v));
      expect(tileUpperBound(tiles, 0, m, 2, 'exact', u, v, new Float64Array(m).fill(NaN))).toBe(documentedBound(tiles, 0, m, 2, 'exact', u, v));
    }
  });

  it('a transposable 32:64 certificate is finite and tight for the exact mask', async () => {
    const scores = gaussianMatrix(64, 64, 5);
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
