// The exact kernels of the reference and wasm backends are two variants of one method (the headers
// of src/reference/exact.ts and assembly/exact.ts name the differences: atMost construction, fix
// schedule, side of the augmenting paths). Both are optimal, so on scores whose optimum is unique
// (generic reals: no two sets of entries with equal sums) the masks must be identical, and on tied scores the objectives must be equal
// though the masks may differ. The duals may differ in both cases; each set certifies its mask.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../../src/backends/all.js';
import { getKernel } from '../../src/backends/registry.js';
import { maskedSum } from '../../src/core/matrix.js';
import type { Fill, TileBatch } from '../../src/core/types.js';
import { tileUpperBound, relativeGap } from '../../src/reference/dualBound.js';
import { mulberry32 } from '../support/random.js';
import { PATTERNS } from '../support/tiles.js';

const FILLS: Fill[] = ['exact', 'atMost'];

function kernel(backend: 'reference' | 'wasm') {
  const run = getKernel('exactTiles', backend);
  if (!run) throw new Error(`${backend} has no exactTiles kernel`);
  return run;
}

/**
 * `count` tiles of uniform values in [−1, 2): no two sets of entries have the same sum (with
 * probability 1; distinct integers would not do, as 1 + 4 = 2 + 3), so the optimum is unique.
 */
function genericTiles(count: number, m: number, seed: number): TileBatch {
  const uniform = mulberry32(seed);
  return { tiles: Float32Array.from({ length: count * m * m }, () => 3 * uniform() - 1), count, m };
}

function certifiedGap(batch: TileBatch, n: number, fill: Fill, solution: { mask: Uint8Array; u: Float64Array; v: Float64Array }): number {
  let worst = 0;
  const size = batch.m * batch.m;
  for (let t = 0; t < batch.count; t++) {
    const objective = maskedSum(batch.tiles.subarray(t * size, (t + 1) * size), solution.mask.subarray(t * size, (t + 1) * size));
    worst = Math.max(worst, relativeGap(tileUpperBound(batch.tiles, t, batch.m, n, fill, solution.u, solution.v), objective));
  }
  return worst;
}

describe('exact: the wasm variant against the reference', () => {
  it('gives the identical mask where the optimum is unique (generic real scores), both fills', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PATTERNS), fc.constantFrom(...FILLS), fc.integer({ min: 1, max: 2 ** 31 }), async ([n, m], fill, seed) => {
        const batch = genericTiles(3, m, seed);
        const ours = await kernel('wasm')({ batch, n, fill }, {});
        const spec = await kernel('reference')({ batch, n, fill }, {});
        expect(ours.mask).toEqual(spec.mask);
        expect(certifiedGap(batch, n, fill, ours)).toBeLessThanOrEqual(1e-9);
      }),
      { seed: 1014, numRuns: 200 },
    );
  });

  it('gives an equally good, certified mask on tied scores (the masks may differ)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PATTERNS), fc.constantFrom(...FILLS), fc.integer({ min: 1, max: 2 ** 31 }), fc.integer({ min: 2, max: 4 }), async ([n, m], fill, seed, levels) => {
        const uniform = mulberry32(seed);
        const batch: TileBatch = { tiles: Float32Array.from({ length: 3 * m * m }, () => Math.floor(uniform() * levels) - 1), count: 3, m };
        const ours = await kernel('wasm')({ batch, n, fill }, {});
        const spec = await kernel('reference')({ batch, n, fill }, {});
        // Small integers: both objectives are exact sums, so they must be equal, not merely close.
        expect(maskedSum(batch.tiles, ours.mask)).toBe(maskedSum(batch.tiles, spec.mask));
        expect(certifiedGap(batch, n, fill, ours)).toBeLessThanOrEqual(1e-9);
      }),
      { seed: 1015, numRuns: 200 },
    );
  });
});
