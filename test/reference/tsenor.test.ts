import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchUpperBound, relativeGap } from '../../src/reference/dualBound.js';
import { NmsparseError } from '../../src/core/errors.js';
import { gatherTiles, maskedSum } from '../../src/core/matrix.js';
import { DEFAULT_TSENOR_OPTIONS, resolveTsenorOptions } from '../../src/core/maskOptions.js';
import { exactTiles } from '../../src/reference/exact.js';
import { greedySelect, greedyTiles } from '../../src/reference/greedy.js';
import { localSearchTile, tileState } from '../../src/reference/localSearch.js';
import { tsenorTiles } from '../../src/reference/tsenor.js';
import { checkTransposable } from '../../src/verify/validity.js';
import { absGaussianMatrix, columnScaledMatrix, gaussianMatrix } from '../support/random.js';
import { tileBatchArb, tileMaskHex } from '../support/tiles.js';
import type { Fill, ExactSolution, TileBatch, TsenorOptions } from '../../src/core/types.js';

const FILLS: readonly Fill[] = ['exact', 'atMost'];

/** Cheap options for property runs (the defaults are measured separately below). */
const optionsArb: fc.Arbitrary<TsenorOptions> = fc.record({
  tau: fc.constantFrom(1, 20, 200, 1000),
  iterations: fc.integer({ min: 1, max: 30 }),
  stages: fc.integer({ min: 1, max: 4 }),
  localSearchSteps: fc.integer({ min: 0, max: 8 }),
});

function tsenor(batch: TileBatch, n: number, fill: Fill, options: TsenorOptions = DEFAULT_TSENOR_OPTIONS): Uint8Array {
  const out = new Uint8Array(batch.count * batch.m * batch.m);
  tsenorTiles(batch, n, fill, options, 0, batch.count, out);
  return out;
}

function exact(batch: TileBatch, n: number, fill: Fill): ExactSolution {
  const cells = batch.count * batch.m;
  const out = { mask: new Uint8Array(cells * batch.m), u: new Float64Array(cells), v: new Float64Array(cells) };
  exactTiles(batch, n, fill, 0, batch.count, out);
  return out;
}

/** A batch of tiles is a (count·M)×M matrix with one tile per block of M rows. */
function valid(mask: Uint8Array, batch: TileBatch, n: number, fill: Fill): boolean {
  return checkTransposable(mask, batch.count * batch.m, batch.m, n, batch.m, fill).valid;
}

function tileSums(batch: TileBatch, mask: Uint8Array): number[] {
  const size = batch.m * batch.m;
  return Array.from({ length: batch.count }, (_, t) =>
    maskedSum(batch.tiles.subarray(t * size, (t + 1) * size), mask.subarray(t * size, (t + 1) * size)),
  );
}

function keepsOnlyPositive(batch: TileBatch, mask: Uint8Array): boolean {
  return mask.every((k, i) => k === 0 || (batch.tiles[i] as number) > 0);
}

describe('tsenorTiles', () => {
  it('is valid for every input and options: full under exact, positive scores only under atMost', () => {
    fc.assert(
      fc.property(tileBatchArb(), optionsArb, ({ batch, n }, options) => {
        expect(valid(tsenor(batch, n, 'exact', options), batch, n, 'exact')).toBe(true);
        const atMost = tsenor(batch, n, 'atMost', options);
        expect(valid(atMost, batch, n, 'atMost')).toBe(true);
        expect(keepsOnlyPositive(batch, atMost)).toBe(true);
      }),
      { seed: 42, numRuns: 250 },
    );
  });

  it('never beats the exact optimum, tile by tile (nor does greedy)', () => {
    fc.assert(
      fc.property(tileBatchArb(['gaussian', 'ties', 'positive', 'zeros']), optionsArb, ({ batch, n }, options) => {
        for (const fill of FILLS) {
          const best = tileSums(batch, exact(batch, n, fill).mask);
          const greedy = new Uint8Array(batch.tiles.length);
          greedyTiles(batch, n, fill, 0, batch.count, greedy);
          for (const mask of [tsenor(batch, n, fill, options), greedy]) {
            tileSums(batch, mask).forEach((s, t) => expect(s).toBeLessThanOrEqual((best[t] as number) + 1e-9));
          }
        }
      }),
      { seed: 42, numRuns: 150 },
    );
  });

  it('gives the same mask when the scores are scaled by a power of two', () => {
    fc.assert(
      fc.property(tileBatchArb(['gaussian', 'ties', 'huge']), fc.integer({ min: -30, max: 30 }), ({ batch, n }, e) => {
        const scaled = { ...batch, tiles: batch.tiles.map((x) => x * 2 ** e) };
        fc.pre(scaled.tiles.every((y, k) => y / 2 ** e === batch.tiles[k])); // no f32 overflow or underflow
        for (const fill of FILLS) expect(tsenor(scaled, n, fill)).toEqual(tsenor(batch, n, fill));
      }),
      { seed: 42, numRuns: 100 },
    );
  });

  it('finds the optimum of a tile whose best mask is clear, even with values from 1e-30 to 1e30', () => {
    // A circulant 8:16 tile: kept entries are 1e30·(1 + small), the rest 1e-30.
    const m = 16;
    const n = 8;
    const tiles = new Float32Array(m * m);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) tiles[i * m + j] = (j - i + m) % m < n ? 1e30 * (1 + ((i * 7 + j) % 5) / 8) : 1e-30;
    }
    const batch = { tiles, count: 1, m };
    const mask = tsenor(batch, n, 'exact');
    expect(valid(mask, batch, n, 'exact')).toBe(true);
    expect(maskedSum(tiles, mask)).toBe(maskedSum(tiles, exact(batch, n, 'exact').mask));
  });

  it('keeps the mean certified gap on seeded Gaussian 8:16 matrices within 0.2% (column-scaled too)', () => {
    for (const scores of [absGaussianMatrix(256, 256, 7), columnScaledMatrix(256, 256, 7)]) {
      const abs = scores.data.map(Math.abs);
      const batch = { tiles: gatherTiles({ ...scores, data: abs }, 16), count: 256, m: 16 };
      const upperBound = batchUpperBound(batch, 8, 'exact', exact(batch, 8, 'exact'));
      const gap = relativeGap(upperBound, maskedSum(batch.tiles, tsenor(batch, 8, 'exact')));
      expect(gap).toBeGreaterThanOrEqual(0);
      expect(gap).toBeLessThanOrEqual(0.002);
    }
  });
});

describe('localSearchTile', () => {
  /** A valid partial tile: a greedy mask over random priorities with random entries then dropped. */
  const partialArb = tileBatchArb(['gaussian', 'ties', 'zeros'], 1).chain(({ batch, n }) =>
    fc
      .tuple(
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: batch.m ** 2, maxLength: batch.m ** 2 }),
        fc.array(fc.boolean(), { minLength: batch.m ** 2, maxLength: batch.m ** 2 }),
      )
      .map(([priority, drop]) => {
        const mask = new Uint8Array(batch.m ** 2);
        greedySelect(tileState(batch.tiles, mask, batch.m, n, 'exact'), priority, 0, new Int32Array(batch.m ** 2));
        mask.forEach((k, i) => (mask[i] = drop[i] ? 0 : k));
        return { batch, n, mask };
      }),
  );

  it('repairs any valid partial tile to a full one under fill exact, even with no steps to spare', () => {
    fc.assert(
      fc.property(partialArb, fc.integer({ min: 0, max: 4 }), ({ batch, n, mask }, steps) => {
        localSearchTile(tileState(batch.tiles, mask, batch.m, n, 'exact'), steps);
        return valid(mask, batch, n, 'exact');
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('under fill atMost only gains and stays valid', () => {
    fc.assert(
      fc.property(partialArb, fc.integer({ min: 0, max: 16 }), ({ batch, n, mask }, steps) => {
        mask.forEach((k, i) => (mask[i] = k && (batch.tiles[i] as number) > 0 ? 1 : 0));
        const before = maskedSum(batch.tiles, mask);
        localSearchTile(tileState(batch.tiles, mask, batch.m, n, 'atMost'), steps);
        expect(valid(mask, batch, n, 'atMost')).toBe(true);
        expect(keepsOnlyPositive(batch, mask)).toBe(true);
        expect(maskedSum(batch.tiles, mask)).toBeGreaterThanOrEqual(before);
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('improves a full tile monotonically with more steps', () => {
    fc.assert(
      fc.property(partialArb, ({ batch, n, mask }) => {
        localSearchTile(tileState(batch.tiles, mask, batch.m, n, 'exact'), 0);
        let last = maskedSum(batch.tiles, mask);
        for (let k = 0; k < 4; k++) {
          localSearchTile(tileState(batch.tiles, mask, batch.m, n, 'exact'), 1);
          const now = maskedSum(batch.tiles, mask);
          expect(now).toBeGreaterThanOrEqual(last);
          last = now;
        }
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});

describe('resolveTsenorOptions', () => {
  it('fills in the defaults and rejects bad values with E_OPTION', () => {
    expect(resolveTsenorOptions(undefined)).toEqual(DEFAULT_TSENOR_OPTIONS);
    for (const bad of [{ stages: 0 }, { stages: 1.5 }, { tau: -1 }, { iterations: 0 }, { localSearchSteps: -1 }]) {
      expect(() => resolveTsenorOptions(bad)).toThrow(NmsparseError);
      try {
        resolveTsenorOptions(bad);
      } catch (e) {
        expect((e as NmsparseError).code).toBe('E_OPTION');
      }
    }
  });
});

describe('tsenorTiles: tiles are independent, and large τ stays finite', () => {
  it('gives a tile the same mask wherever it sits in the batch (constant tiles after others included)', () => {
    fc.assert(
      fc.property(tileBatchArb(['gaussian', 'ties', 'zeros'], 3), fc.constantFrom(...FILLS), fc.double({ min: -2, max: 2, noNaN: true }), ({ batch, n }, fill, c) => {
        const size = batch.m * batch.m;
        // The batch, then a constant tile: nothing to choose between, so no state of the tiles before may leak in.
        const tiles = new Float32Array((batch.count + 1) * size).fill(c);
        tiles.set(batch.tiles);
        const whole = tsenor({ tiles, count: batch.count + 1, m: batch.m }, n, fill);
        const alone = tsenor({ tiles: tiles.subarray(batch.count * size), count: 1, m: batch.m }, n, fill);
        expect(Array.from(whole.subarray(batch.count * size))).toEqual(Array.from(alone));
      }),
      { seed: 44, numRuns: 60 },
    );
  });

  it('writes tiles [start, end) only', () => {
    const batch: TileBatch = { tiles: gatherTiles(absGaussianMatrix(8, 24, 3), 8), count: 3, m: 8 };
    const out = new Uint8Array(3 * 64).fill(7);
    tsenorTiles(batch, 4, 'exact', DEFAULT_TSENOR_OPTIONS, 1, 2, out);
    expect(Array.from(out.subarray(64, 128))).toEqual(Array.from(tsenor(batch, 4, 'exact').subarray(64, 128)));
    expect([...out.subarray(0, 64), ...out.subarray(128)].every((x) => x === 7)).toBe(true);
  });

  it('leaves a line whose kernel underflows to 0 out of the scaling (golden masks, τ = 2000, no local search)', () => {
    // Seeded 4:8 tiles of scores in [1, 2] whose last column is 0: under both fills that column normalises
    // to 0 and its kernel entries e^(−2000·rowMax) underflow, so it sums to exactly 0. Scaling it by N/0
    // would put NaN into the rounding's priorities (and, through the row sums, stop the row scaling);
    // the local search would hide the difference, so it is off here. Regenerate only for a deliberate
    // change of the relaxation's schedule.
    const x = gaussianMatrix(16, 16, 8);
    const squashed = { ...x, data: x.data.map((v) => 1 + Math.abs(v) / (1 + Math.abs(v))) };
    const batch: TileBatch = { tiles: gatherTiles(squashed, 8).map((v, k) => (k % 8 === 7 ? 0 : v)), count: 4, m: 8 };
    const options = { tau: 2000, iterations: 60, stages: 1, localSearchSteps: 0 };
    const golden: Record<Fill, string> = {
      exact: '99cc279363a65c78 b46ae8651b1bc596 0fd872333cc6a5c9 ac1dc3728d3669d2',
      atMost: '98cc269262a65c78 b46ae8441a1ae496 0ed872123cc6a4e8 ac1cc2728c3668d2',
    };
    for (const fill of FILLS) {
      const mask = tsenor(batch, 4, fill, options);
      expect([0, 1, 2, 3].map((t) => tileMaskHex(mask, t, 8)).join(' ')).toBe(golden[fill]);
    }
  });

  it('with τ = 2000 in one stage (e^τ overflows f64) stays within 1% of greedy on Gaussian 8:16 tiles', () => {
    // The kernel is shifted by each row's maximum so that exp never overflows, and a column whose
    // entries all underflow to 0 is left alone rather than scaled by N/0: either slip turns S into NaN.
    const batch: TileBatch = { tiles: gatherTiles(columnScaledMatrix(64, 64, 8), 16), count: 16, m: 16 };
    const options = { tau: 2000, iterations: 60, stages: 1, localSearchSteps: 16 };
    // The second batch's last column is 0 under scores in [1, 2]: all of its kernel entries underflow.
    const lowColumn = batch.tiles.map((x, k) => (k % 16 === 15 ? 0 : 1 + Math.abs(x) / (1 + Math.abs(x))));
    for (const tiles of [batch.tiles, lowColumn]) {
      const b: TileBatch = { ...batch, tiles };
      for (const fill of FILLS) {
        const greedy = new Uint8Array(b.count * 256);
        greedyTiles(b, 8, fill, 0, b.count, greedy);
        const reference = maskedSum(b.tiles, greedy);
        expect(maskedSum(b.tiles, tsenor(b, 8, fill, options))).toBeGreaterThan(reference - 0.01 * Math.abs(reference));
      }
    }
  });
});

