import { describe, expect, it } from 'vitest';
import { certify } from '../../src/verify/certify.js';
import { transposableMask } from '../../src/masks.js';
import { columnScaledMatrix, gaussianMatrix } from '../../src/core/random.js';
import { scoresFrom } from '../../src/scores.js';
import { transposableLpOptimum } from '../support/lp.js';

// An independent LP solver (HiGHS) must agree with nmsparse's exact optimum and its certificate.
describe('exact optimum agrees with an independent LP solver (HiGHS)', () => {
  const cases = [
    [2, 4],
    [4, 8],
    [8, 16],
    [16, 32],
  ] as const;
  for (const [n, m] of cases) {
    it(`Gaussian 256×256, ${n}:${m}, both fills`, async () => {
      const scores = scoresFrom(gaussianMatrix(256, 256, 100 + m));
      for (const fill of ['exact', 'atMost'] as const) {
        const r = await transposableMask(scores, { n, m, fill, backend: 'reference' });
        const lp = await transposableLpOptimum(scores, n, m, fill);
        expect(Math.abs(r.objective - lp) / lp).toBeLessThan(1e-8);
        const c = await certify(scores, r.mask, { n, m, transposable: true, fill, backend: 'reference' });
        expect(c.valid).toBe(true);
        expect(Math.abs(c.gap)).toBeLessThanOrEqual(1e-9);
      }
    });
  }

  it('raw (signed) and column-scaled scores, 4:8', async () => {
    for (const scores of [scoresFrom(gaussianMatrix(64, 64, 1), 'raw'), scoresFrom(columnScaledMatrix(64, 64, 2))]) {
      for (const fill of ['exact', 'atMost'] as const) {
        const r = await transposableMask(scores, { n: 4, m: 8, fill, backend: 'reference' });
        const lp = await transposableLpOptimum(scores, 4, 8, fill);
        expect(Math.abs(r.objective - lp)).toBeLessThan(1e-8 * Math.max(1, Math.abs(lp)));
      }
    }
  });
});
