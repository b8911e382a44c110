import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tileUpperBound } from '../../src/reference/dualBound.js';
import { certify } from '../../src/verify/certify.js';
import { NmsparseError } from '../../src/core/errors.js';
import { transposableMask } from '../../src/masks.js';
import { gatherTiles, scatterTiles, type Matrix } from '../../src/core/matrix.js';
import { bruteforceTiles } from '../support/bruteforce.js';
import { ExactTileSolver, exactTiles } from '../../src/reference/exact.js';
import { absGaussianMatrix, columnScaledMatrix, gaussianMatrix, tiedMatrix } from '../support/random.js';
import { tileBatchArb } from '../support/tiles.js';
import type { Fill, ExactSolution, TileBatch } from '../../src/core/types.js';

const FILLS: readonly Fill[] = ['exact', 'atMost'];
const BIG_PATTERNS = [
  [2, 4],
  [4, 8],
  [8, 16],
  [16, 32],
] as const;

const GOLDEN = Float32Array.from([2, 8, 9, 9, 9, 1, 3, 9, 5, 6, 3, 9, 2, 4, 6, 9]);

function solve(batch: TileBatch, n: number, fill: Fill): ExactSolution {
  const size = batch.count * batch.m;
  const out: ExactSolution = { mask: new Uint8Array(size * batch.m), u: new Float64Array(size), v: new Float64Array(size) };
  exactTiles(batch, n, fill, 0, batch.count, out);
  return out;
}

function batchOf(x: Matrix, m: number): TileBatch {
  return { tiles: gatherTiles(x, m), count: (x.rows / m) * (x.cols / m), m };
}

function tileObjective(batch: TileBatch, mask: Uint8Array, t: number): number {
  const size = batch.m * batch.m;
  let s = 0;
  for (let k = t * size; k < (t + 1) * size; k++) if (mask[k]) s += batch.tiles[k] as number;
  return s;
}

/** Tile t of the mask: 0/1 values, N per row and column (at most N under 'atMost'). */
function expectValidTile(mask: Uint8Array, t: number, m: number, n: number, fill: Fill): void {
  for (let i = 0; i < m; i++) {
    let row = 0;
    let col = 0;
    for (let j = 0; j < m; j++) {
      const r = mask[t * m * m + i * m + j] as number;
      const c = mask[t * m * m + j * m + i] as number;
      expect(r === 0 || r === 1).toBe(true);
      row += r;
      col += c;
    }
    if (fill === 'exact') expect([row, col]).toEqual([n, n]);
    else expect(Math.max(row, col)).toBeLessThanOrEqual(n);
  }
}

/** Valid masks, finite duals (≥ 0 under 'atMost'), no kept score ≤ 0 under 'atMost', and UB = objective. */
function expectCertifiedOptimal(batch: TileBatch, n: number, fill: Fill, sol: ExactSolution): void {
  const { m } = batch;
  for (let k = 0; k < batch.count * m; k++) {
    expect(Number.isFinite(sol.u[k]) && Number.isFinite(sol.v[k])).toBe(true);
    if (fill === 'atMost') expect(Math.min(sol.u[k] as number, sol.v[k] as number)).toBeGreaterThanOrEqual(0);
  }
  for (let t = 0; t < batch.count; t++) {
    expectValidTile(sol.mask, t, m, n, fill);
    const objective = tileObjective(batch, sol.mask, t);
    const ub = tileUpperBound(batch.tiles, t, m, n, fill, sol.u, sol.v);
    let scale = 0;
    for (let k = t * m * m; k < (t + 1) * m * m; k++) scale += Math.abs(batch.tiles[k] as number);
    expect(Math.abs(ub - objective)).toBeLessThanOrEqual(1e-9 * scale);
  }
  if (fill === 'atMost') {
    for (let k = 0; k < sol.mask.length; k++) if (sol.mask[k]) expect(batch.tiles[k]).toBeGreaterThan(0);
  }
}

describe('exact solver against brute force (M ≤ 5)', () => {
  const values = fc.oneof(
    fc.integer({ min: 0, max: 3 }), // ties and zeros
    fc.integer({ min: -2, max: 3 }), // negative scores too
    fc.constantFrom(0, 0, 1),
  );
  for (const m of [3, 4, 5]) {
    for (let n = 1; n < m; n++) {
      for (const fill of FILLS) {
        it(`${n}:${m} ${fill}: same optimum as exhaustive search, with ties, zeros and negatives`, () => {
          const arb = fc
            .integer({ min: 1, max: 3 })
            .chain((count) =>
              fc.array(fc.oneof(values, fc.double({ min: -1, max: 3, noNaN: true })), {
                minLength: count * m * m,
                maxLength: count * m * m,
              }),
            );
          fc.assert(
            fc.property(arb, (data) => {
              const batch: TileBatch = { tiles: Float32Array.from(data), count: data.length / (m * m), m };
              const sol = solve(batch, n, fill);
              const oracle = bruteforceTiles(batch, n, fill);
              for (let t = 0; t < batch.count; t++) {
                expectValidTile(oracle.mask, t, m, n, fill);
                const objective = tileObjective(batch, sol.mask, t);
                expect(Math.abs(objective - (oracle.objectives[t] as number))).toBeLessThanOrEqual(1e-9);
              }
              expectCertifiedOptimal(batch, n, fill, sol);
            }),
            { seed: 42, numRuns: 40 },
          );
        });
      }
    }
  }
});

describe('exact solver: certificate and validity', () => {
  for (const [n, m] of BIG_PATTERNS) {
    for (const fill of FILLS) {
      it(`${n}:${m} ${fill}: LP-dual bound equals the objective on Gaussian, |Gaussian| and column-scaled tiles`, () => {
        for (const x of [gaussianMatrix(64, 64, 1), absGaussianMatrix(64, 64, 2), columnScaledMatrix(64, 64, 3)]) {
          const batch = batchOf(x, m);
          expectCertifiedOptimal(batch, n, fill, solve(batch, n, fill));
        }
      });
    }
  }

  it('is certified optimal on arbitrary tiles: ties, zeros, constants, huge dynamic range, signs', () => {
    fc.assert(
      fc.property(tileBatchArb(), fc.constantFrom(...FILLS), ({ batch, n }, fill) => {
        expectCertifiedOptimal(batch, n, fill, solve(batch, n, fill));
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('huge dynamic range (1e-30 … 1e30): no NaN, valid, certified', () => {
    const x = absGaussianMatrix(32, 32, 9);
    const data = x.data.map((v, k) => v * 10 ** ((k * 7919) % 61 - 30));
    for (const [n, m] of [
      [2, 4],
      [8, 16],
    ] as const) {
      const batch = batchOf({ rows: 32, cols: 32, data }, m);
      for (const fill of FILLS) expectCertifiedOptimal(batch, n, fill, solve(batch, n, fill));
    }
  });

  it('zero and constant tiles: valid masks; atMost keeps N per line of a positive constant and nothing of a zero one', () => {
    for (const c of [0, 1.5, -2]) {
      for (const [n, m] of [
        [2, 4],
        [3, 8],
      ] as const) {
        const batch: TileBatch = { tiles: new Float32Array(2 * m * m).fill(c), count: 2, m };
        for (const fill of FILLS) {
          const sol = solve(batch, n, fill);
          expectCertifiedOptimal(batch, n, fill, sol);
          const kept = sol.mask.reduce((s, b) => s + b, 0);
          expect(kept).toBe(fill === 'exact' || c > 0 ? 2 * n * m : 0);
        }
      }
    }
  });

  it('golden case: 2:4 keeps 61 under both fills', () => {
    for (const fill of FILLS) {
      const batch: TileBatch = { tiles: GOLDEN, count: 1, m: 4 };
      const sol = solve(batch, 2, fill);
      expect(tileObjective(batch, sol.mask, 0)).toBe(61);
      expect(tileUpperBound(GOLDEN, 0, 4, 2, fill, sol.u, sol.v)).toBeCloseTo(61, 12);
      expect(bruteforceTiles(batch, 2, fill).objectives[0]).toBe(61);
    }
  });
});

describe('exact solver: structure', () => {
  it('atMost optimum ≥ exact optimum, tile by tile', () => {
    fc.assert(
      fc.property(tileBatchArb(), ({ batch, n }) => {
        const exact = solve(batch, n, 'exact');
        const atMost = solve(batch, n, 'atMost');
        for (let t = 0; t < batch.count; t++) {
          const e = tileObjective(batch, exact.mask, t);
          const a = tileObjective(batch, atMost.mask, t);
          expect(a).toBeGreaterThanOrEqual(e - 1e-9 * Math.abs(e));
        }
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('permuting tile rows permutes the mask (Gaussian, no ties) and keeps the objective (ties)', () => {
    const arb = fc.record({
      pattern: fc.constantFrom<readonly [number, number]>([2, 4], [4, 8], [8, 16], [3, 5]),
      seed: fc.integer({ min: 0, max: 1 << 30 }),
      fill: fc.constantFrom(...FILLS),
      tied: fc.boolean(),
    });
    fc.assert(
      fc.property(arb, ({ pattern: [n, m], seed, fill, tied }) => {
        const x = tied ? tiedMatrix(m, m, seed) : gaussianMatrix(m, m, seed);
        const perm = Array.from({ length: m }, (_, i) => i).sort((p, q) => ((p * 7 + seed) % m) - ((q * 7 + seed) % m) || p - q);
        const permuted = new Float32Array(m * m);
        for (let i = 0; i < m; i++) permuted.set(x.data.subarray(perm[i]! * m, perm[i]! * m + m), i * m);
        const a = solve({ tiles: x.data, count: 1, m }, n, fill);
        const b = solve({ tiles: permuted, count: 1, m }, n, fill);
        const objA = tileObjective({ tiles: x.data, count: 1, m }, a.mask, 0);
        const objB = tileObjective({ tiles: permuted, count: 1, m }, b.mask, 0);
        expect(Math.abs(objA - objB)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(objA)));
        if (!tied) {
          for (let i = 0; i < m; i++) {
            expect(Array.from(b.mask.subarray(i * m, i * m + m))).toEqual(
              Array.from(a.mask.subarray(perm[i]! * m, perm[i]! * m + m)),
            );
          }
        }
      }),
      { seed: 42, numRuns: 150 },
    );
  });

  it('scaling scores by a power of two leaves every mask unchanged, ties included', () => {
    fc.assert(
      fc.property(tileBatchArb(['ties', 'gaussian', 'zeros', 'positive']), fc.integer({ min: -20, max: 20 }), fc.constantFrom(...FILLS), ({ batch, n }, e, fill) => {
        const scaled: TileBatch = { ...batch, tiles: batch.tiles.map((v) => v * 2 ** e) };
        // Exact in f32 unless a value leaves the normal range (subnormals lose bits).
        fc.pre(scaled.tiles.every((v, k) => v * 2 ** -e === batch.tiles[k]));
        expect(solve(scaled, n, fill).mask).toEqual(solve(batch, n, fill).mask);
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('scaling Gaussian scores by any positive constant leaves the mask unchanged', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...BIG_PATTERNS.slice(0, 3)),
        fc.integer({ min: 0, max: 1 << 30 }),
        fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        fc.constantFrom(...FILLS),
        ([n, m], seed, c, fill) => {
          const batch = batchOf(gaussianMatrix(2 * m, 2 * m, seed), m);
          const scaled: TileBatch = { ...batch, tiles: batch.tiles.map((v) => v * c) };
          expect(solve(scaled, n, fill).mask).toEqual(solve(batch, n, fill).mask);
        },
      ),
      { seed: 42, numRuns: 100 },
    );
  });

  it('solves exactly the tiles [start, end) it is given: chunks agree with one call', () => {
    const batch = batchOf(columnScaledMatrix(32, 32, 5), 8);
    const whole = solve(batch, 4, 'exact');
    const chunked: ExactSolution = { mask: new Uint8Array(whole.mask.length), u: new Float64Array(whole.u.length), v: new Float64Array(whole.v.length) };
    exactTiles(batch, 4, 'exact', 0, 5, chunked);
    exactTiles(batch, 4, 'exact', 5, batch.count, chunked);
    expect(chunked).toEqual(whole);
  });

  it('writes the mask and duals of tiles [start, end) only, under both fills', () => {
    const batch = batchOf(columnScaledMatrix(32, 32, 5), 8);
    for (const fill of FILLS) {
      const whole = solve(batch, 4, fill);
      const out: ExactSolution = { mask: new Uint8Array(whole.mask.length).fill(7), u: new Float64Array(whole.u.length).fill(-3), v: new Float64Array(whole.v.length).fill(-3) };
      exactTiles(batch, 4, fill, 5, 11, out);
      for (const [got, want, size] of [[out.mask, whole.mask, 64], [out.u, whole.u, 8], [out.v, whole.v, 8]] as const) {
        expect(Array.from(got.subarray(5 * size, 11 * size))).toEqual(Array.from(want.subarray(5 * size, 11 * size)));
        const sentinel = got === out.mask ? 7 : -3;
        expect([...got.subarray(0, 5 * size), ...got.subarray(11 * size)].every((x) => x === sentinel)).toBe(true);
      }
    }
  });

  it('needs few augmenting paths after the warm start (far fewer than N·M)', () => {
    const batch = batchOf(absGaussianMatrix(128, 128, 4), 16);
    const solver = new ExactTileSolver(16, 8, 'exact');
    const out = solve(batch, 8, 'exact');
    for (let t = 0; t < batch.count; t++) solver.solve(batch.tiles, t, out);
    expect(solver.stats.augmentations / solver.stats.tiles).toBeLessThan(16);
  });
});

describe('brute force oracle', () => {
  it('rejects M > 5 and invalid patterns with E_PATTERN', () => {
    const big: TileBatch = { tiles: new Float32Array(36), count: 1, m: 6 };
    expect(() => bruteforceTiles(big, 2, 'exact')).toThrow(NmsparseError);
    for (const [batch, n] of [
      [big, 2],
      [{ tiles: new Float32Array(16), count: 1, m: 4 }, 4],
      [{ tiles: new Float32Array(16), count: 1, m: 4 }, 0],
    ] as const) {
      try {
        bruteforceTiles(batch, n, 'exact');
        expect.unreachable();
      } catch (e) {
        expect((e as NmsparseError).code).toBe('E_PATTERN');
      }
    }
  });

  it('breaks ties toward kept entries first in row-major order', () => {
    const zero: TileBatch = { tiles: new Float32Array(16), count: 1, m: 4 };
    expect(Array.from(bruteforceTiles(zero, 2, 'exact').mask)).toEqual([1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1]);
    const ones: TileBatch = { tiles: new Float32Array(9).fill(1), count: 1, m: 3 };
    expect(Array.from(bruteforceTiles(ones, 1, 'atMost').mask)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  });

  it('keeps nothing of a non-positive tile under atMost', () => {
    const neg: TileBatch = { tiles: new Float32Array(25).fill(-1), count: 1, m: 5 };
    const out = bruteforceTiles(neg, 2, 'atMost');
    expect(out.mask.every((b) => b === 0)).toBe(true);
    expect(out.objectives[0]).toBe(0);
  });
});

describe('exact through the public API (reference backend)', () => {
  it('transposableMask(method exact) equals brute force tile by tile and certifies with gap 0', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<readonly [number, number]>([1, 3], [2, 4], [3, 4], [2, 5]),
        fc.constantFrom(...FILLS),
        fc.integer({ min: 0, max: 1 << 30 }),
        async ([n, m], fill, seed) => {
          const x = tiedMatrix(2 * m, 3 * m, seed, 5);
          const result = await transposableMask(x, { n, m, fill, backend: 'reference' });
          const oracle = bruteforceTiles(batchOf(x, m), n, fill);
          expect(result.objective).toBe(oracle.objectives.reduce((s, o) => s + o, 0));
          expect(result.gap).toBe(0);
          const c = await certify(x, result.mask, { n, m, transposable: true, fill, backend: 'reference' });
          expect(c).toMatchObject({ valid: true, gap: 0, objective: result.objective });
          // A brute-force mask is optimal too: certify agrees.
          const bf = scatterTiles(oracle.mask, x.rows, x.cols, m);
          expect(await certify(x, bf, { n, m, transposable: true, fill, backend: 'reference' })).toMatchObject({ valid: true, gap: 0 });
        },
      ),
      { seed: 42, numRuns: 30 },
    );
  });

  it('certifies exact masks with gap 0 on Gaussian matrices for 2:4 … 16:32, both fills', async () => {
    const x = gaussianMatrix(64, 64, 11);
    for (const [n, m] of BIG_PATTERNS) {
      for (const fill of FILLS) {
        const result = await transposableMask(x, { n, m, fill, backend: 'reference' });
        expect(result.gap).toBe(0);
        const c = await certify(x, result.mask, { n, m, transposable: true, fill, backend: 'reference' });
        expect(c.valid).toBe(true);
        expect(Math.abs(c.upperBound - result.objective)).toBeLessThanOrEqual(1e-9 * Math.abs(result.objective));
      }
    }
  });

  it('rejects bad input with NmsparseError codes', async () => {
    const x = gaussianMatrix(8, 8, 1);
    const cases: [Parameters<typeof transposableMask>[1], Matrix | number[][], string][] = [
      [{ n: 4, m: 4 }, x, 'E_PATTERN'],
      [{ n: 2, m: 3 }, x, 'E_SHAPE'],
      [{ n: 2, m: 4, fill: 'some' as Fill }, x, 'E_OPTION'],
      [{ n: 2, m: 4 }, [[1, 2, 3, NaN], [1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]], 'E_NONFINITE'],
    ];
    for (const [options, scores, code] of cases) {
      await expect(transposableMask(scores, { ...options, backend: 'reference' })).rejects.toMatchObject({ code });
      await expect(transposableMask(scores, { ...options, backend: 'reference' })).rejects.toBeInstanceOf(NmsparseError);
    }
  });
});
