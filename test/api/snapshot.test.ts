// transposableMask's `snapshot` option: by default the caller's scores are copied before the first
// await, so changing them while the call runs cannot change its result; `snapshot: false` reads them
// in place and, left unchanged, gives the very same result.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { transposableMask, type TransposableMethod } from '../../src/index.js';
import { absGaussianMatrix } from '../support/random.js';

const METHODS: TransposableMethod[] = ['exact', 'greedy', 'tsenor'];

describe('transposableMask snapshot', () => {
  it('by default, scores changed while the call runs do not change its result', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1000 }), fc.constantFrom(...METHODS), fc.constantFrom('reference', 'wasm'), async (seed, method, backend) => {
        const x = absGaussianMatrix(32, 64, seed);
        const expected = await transposableMask({ ...x, data: x.data.slice() }, { n: 2, m: 8, method, backend });
        const running = transposableMask(x, { n: 2, m: 8, method, backend });
        x.data.fill(0); // the caller reuses its buffer before the promise settles
        const got = await running;
        expect(got.mask).toEqual(expected.mask);
        expect(got.objective).toBe(expected.objective);
      }),
      { seed: 41, numRuns: 12 },
    );
  });

  it('snapshot: false gives the same mask, objective and bound, and leaves the scores as they were', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1000 }), fc.constantFrom(...METHODS), fc.constantFrom('reference', 'wasm'), async (seed, method, backend) => {
        const x = absGaussianMatrix(32, 64, seed);
        const before = x.data.slice();
        const copied = await transposableMask(x, { n: 3, m: 8, method, backend, certify: true });
        const lent = await transposableMask(x, { n: 3, m: 8, method, backend, certify: true, snapshot: false });
        expect(lent.mask).toEqual(copied.mask);
        expect([lent.objective, lent.upperBound]).toEqual([copied.objective, copied.upperBound]);
        expect(x.data).toEqual(before);
      }),
      { seed: 42, numRuns: 12 },
    );
  });

  it('refuses a snapshot that is not a boolean', async () => {
    const x = absGaussianMatrix(8, 8, 1);
    for (const snapshot of [0, 1, 'false', null]) {
      await expect(transposableMask(x, { n: 2, m: 4, snapshot: snapshot as unknown as boolean })).rejects.toMatchObject({ code: 'E_OPTION' });
    }
  });
});
