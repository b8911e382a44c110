import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskedSum } from '../../src/core/matrix.js';
import { greedyTiles } from '../../src/reference/greedy.js';
import { checkTransposable } from '../../src/verify/validity.js';
import { tileBatchArb } from '../support/tiles.js';
import type { Fill, TileBatch } from '../../src/core/types.js';

function greedy(batch: TileBatch, n: number, fill: Fill): Uint8Array {
  const out = new Uint8Array(batch.count * batch.m * batch.m);
  greedyTiles(batch, n, fill, 0, batch.count, out);
  return out;
}

/** A batch of tiles is a (count·M)×M matrix with one tile per block of M rows. */
function valid(mask: Uint8Array, batch: TileBatch, n: number, fill: Fill): boolean {
  return checkTransposable(mask, batch.count * batch.m, batch.m, n, batch.m, fill).valid;
}

/** The raw greedy, written out plainly: scan all entries for the best one that still fits. */
function plainGreedy(tile: Float32Array, m: number, n: number): Uint8Array {
  const mask = new Uint8Array(m * m);
  const rows = new Array<number>(m).fill(0);
  const cols = new Array<number>(m).fill(0);
  const taken = new Array<boolean>(m * m).fill(false);
  for (;;) {
    let best = -1;
    for (let k = 0; k < m * m; k++) {
      const fits = !taken[k] && rows[Math.floor(k / m)]! < n && cols[k % m]! < n && tile[k]! > 0;
      if (fits && (best < 0 || tile[k]! > tile[best]!)) best = k;
    }
    if (best < 0) return mask;
    taken[best] = true;
    mask[best] = 1;
    rows[Math.floor(best / m)]!++;
    cols[best % m]!++;
  }
}

describe('greedyTiles', () => {
  it('keeps 57 on the golden 2:4 tile (ties toward the lower row-major index)', () => {
    const tiles = Float32Array.from([2, 8, 9, 9, 9, 1, 3, 9, 5, 6, 3, 9, 2, 4, 6, 9]);
    const batch = { tiles, count: 1, m: 4 };
    for (const fill of ['exact', 'atMost'] as const) {
      const mask = greedy(batch, 2, fill);
      expect(valid(mask, batch, 2, 'exact')).toBe(true);
      expect(maskedSum(tiles, mask)).toBe(57);
    }
  });

  it('is valid and full under fill exact for every input', () => {
    fc.assert(
      fc.property(tileBatchArb(), ({ batch, n }) => valid(greedy(batch, n, 'exact'), batch, n, 'exact')),
      { seed: 42, numRuns: 300 },
    );
  });

  it("under fill 'atMost' is the raw greedy: valid, never keeps a score ≤ 0", () => {
    fc.assert(
      fc.property(tileBatchArb(), ({ batch, n }) => {
        const mask = greedy(batch, n, 'atMost');
        const size = batch.m * batch.m;
        for (let t = 0; t < batch.count; t++) {
          const expected = plainGreedy(batch.tiles.subarray(t * size, (t + 1) * size), batch.m, n);
          expect(mask.subarray(t * size, (t + 1) * size)).toEqual(expected);
        }
        return valid(mask, batch, n, 'atMost');
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('under fill exact only completes the raw greedy: every raw greedy entry is kept when it was full', () => {
    fc.assert(
      fc.property(tileBatchArb(['positive', 'gaussian']), ({ batch, n }) => {
        const exact = greedy(batch, n, 'exact');
        const atMost = greedy(batch, n, 'atMost');
        // With all scores positive the raw greedy is the same in both fills until it under-fills.
        if (batch.tiles.every((x) => x > 0) && valid(atMost, batch, n, 'exact')) {
          expect(exact).toEqual(atMost);
        }
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('gives the same mask when the scores are scaled by a power of two', () => {
    fc.assert(
      fc.property(tileBatchArb(['gaussian', 'ties', 'positive']), fc.integer({ min: -20, max: 20 }), ({ batch, n }, e) => {
        const scaled = { ...batch, tiles: batch.tiles.map((x) => x * 2 ** e) };
        fc.pre(scaled.tiles.every((y, k) => y / 2 ** e === batch.tiles[k])); // no f32 underflow
        for (const fill of ['exact', 'atMost'] as const) expect(greedy(scaled, n, fill)).toEqual(greedy(batch, n, fill));
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('writes tiles [start, end) only, overwriting whatever they held (both fills)', () => {
    fc.assert(
      fc.property(tileBatchArb(['ties', 'gaussian', 'zeros'], 4), fc.constantFrom<Fill>('exact', 'atMost'), ({ batch, n }, fill) => {
        fc.pre(batch.count >= 3);
        const size = batch.m * batch.m;
        const out = new Uint8Array(batch.count * size).fill(7);
        greedyTiles(batch, n, fill, 1, 2, out);
        expect(Array.from(out.subarray(size, 2 * size))).toEqual(Array.from(greedy(batch, n, fill).subarray(size, 2 * size)));
        expect(out.subarray(0, size).every((x) => x === 7)).toBe(true);
        expect(out.subarray(2 * size).every((x) => x === 7)).toBe(true);
      }),
      { seed: 43, numRuns: 60 },
    );
  });
});
