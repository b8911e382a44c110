// Every output bit of the reference 2:4 prox against a 300-bit oracle (test/support/exactProx.ts):
// on groups whose magnitudes differ, the prox keeps the support of the exact minimiser, and each kept
// value is the f32 nearest to it (within half an ulp; the top two exactly z). The groups span every
// path of src/reference/prox24.ts: the convex case (top two, three and four nonzeros), the general
// search (three nonzeros below μ = 2, four nonzeros from either start, short and long descent) and
// the top-two-only range above μ = 4. Small and fast, it runs first in `npm run mutate`
// (stryker.config.vitest.ts), where it settles most mutants of the prox in a second.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prox24Groups } from '../../src/reference/prox24.js';
import { exactGroupProx, withinHalfUlpF32 } from '../support/exactProx.js';
import { mulberry32 } from '../support/random.js';

const GROUPS = 64;

/**
 * `GROUPS` groups: the largest magnitude c (log-uniform in [1e-3, 8], so μ = λc spans every regime),
 * the others c·u with u uniform in (0, 1), or near the one above (a close pair), or 0; permuted and
 * signed at random. Groups whose nonzero magnitudes coincide after rounding to f32 are redrawn.
 */
function groups(seed: number): Float32Array {
  const uniform = mulberry32(seed);
  const z = new Float32Array(4 * GROUPS);
  for (let g = 0; g < GROUPS; g++) {
    let group: number[];
    do {
      const c = 10 ** (-3 + 3.9 * uniform());
      const b = [1];
      for (let k = 1; k < 4; k++) {
        const r = uniform();
        const previous = b[k - 1]!;
        b.push(r < 0.1 ? 0 : r < 0.35 ? previous * (1 - 0.01 * uniform()) : uniform() * previous);
      }
      const order = [0, 1, 2, 3].sort(() => uniform() - 0.5);
      group = order.map((k) => Math.fround((uniform() < 0.5 ? -1 : 1) * c * b[k]!));
    } while (new Set(group.map(Math.abs).filter((x) => x !== 0)).size !== group.filter((x) => x !== 0).length);
    z.set(group, 4 * g);
  }
  return z;
}

describe('prox24Groups against the 300-bit oracle', () => {
  it('keeps the exact minimiser’s support, each kept value correctly rounded to f32', () => {
    let checked = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.double({ min: 0.5, max: 2, noNaN: true }), (seed, lambda) => {
        const z = groups(seed);
        const out = new Float32Array(z.length);
        prox24Groups(z, lambda, 0, GROUPS, out);
        for (let g = 0; g < GROUPS; g++) {
          const zg = z.subarray(4 * g, 4 * g + 4);
          const exact = exactGroupProx(zg, lambda);
          if (!exact) continue;
          checked++;
          for (let i = 0; i < 4; i++) {
            const got = out[4 * g + i]!;
            const where = `z = [${Array.from(zg).join(', ')}], λ = ${lambda}, entry ${i}`;
            if (exact.w[i] === 0n) {
              expect(Math.abs(got), where).toBe(0);
              continue;
            }
            expect(got !== 0 && Math.sign(got) === Math.sign(zg[i]!), where).toBe(true);
            expect(withinHalfUlpF32(Math.abs(got), exact.w[i]!), where).toBe(true);
          }
        }
      }),
      // A failure ends the run: shrinking a seed gives no simpler group, only more runs.
      { seed: 1616, numRuns: 24, endOnFailure: true },
    );
    expect(checked).toBeGreaterThan(0.95 * 24 * GROUPS);
  });
});
