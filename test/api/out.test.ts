// The masks' `out` option (src/masks.ts): the mask is written into the caller's array, every entry
// overwritten, and that array is the result's mask; the results equal those of a call without it, on
// every backend, for standard masks and every transposable method and fill. A wrong type, length or an
// array sharing memory with the scores is refused with E_OPTION before any work.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { listBackends, releaseGpu, standardMask, transposableMask, NmsparseError } from '../../src/index.js';
import type { BackendName, Fill, TransposableMethod } from '../../src/index.js';
import { gaussianMatrix } from '../support/random.js';

const backends = (await listBackends({ probe: true })).filter((b) => b.available).map((b) => b.name as BackendName);
afterAll(releaseGpu);

/** An `out` full of a value no mask holds, so an entry the solver failed to write shows. */
const dirty = (length: number) => new Uint8Array(length).fill(0xab);

describe.each(backends)('out on the %s backend', (backend) => {
  const runs = backend === 'gpu' ? 4 : 25;
  const shape = fc.record({
    pattern: fc.constantFrom<[number, number]>([2, 4], [1, 4], [3, 8], [4, 8], [8, 16]),
    tileRows: fc.integer({ min: 1, max: 3 }),
    tileCols: fc.integer({ min: 1, max: 3 }),
    seed: fc.integer({ min: 1, max: 1_000_000 }),
  });

  it('standardMask: the same mask and objective, written into out', async () => {
    await fc.assert(
      fc.asyncProperty(shape, async ({ pattern: [n, m], tileRows, tileCols, seed }) => {
        const x = gaussianMatrix(tileRows * m, tileCols * m, seed);
        const out = dirty(x.data.length);
        const got = await standardMask(x, { n, m, backend, out });
        const want = await standardMask(x, { n, m, backend });
        expect(got.mask).toBe(out);
        expect(got.mask).toEqual(want.mask);
        expect(got.objective).toBe(want.objective);
      }),
      { seed: 7, numRuns: runs },
    );
  });

  it('transposableMask: the same masks, objectives and bounds for every method and fill', async () => {
    const methods: TransposableMethod[] = ['exact', 'greedy', 'tsenor'];
    const fills: Fill[] = ['exact', 'atMost'];
    await fc.assert(
      fc.asyncProperty(shape, fc.constantFrom(...methods), fc.constantFrom(...fills), async ({ pattern: [n, m], tileRows, tileCols, seed }, method, fill) => {
        const x = gaussianMatrix(tileRows * m, tileCols * m, seed);
        const out = dirty(x.data.length);
        // certify: a second (exact) solve for greedy and tsenor, which must not write into out.
        const got = await transposableMask(x, { n, m, method, fill, backend, out, certify: true });
        const want = await transposableMask(x, { n, m, method, fill, backend, certify: true });
        expect(got.mask).toBe(out);
        expect(got.mask).toEqual(want.mask);
        expect(got.objective).toBe(want.objective);
        expect(got.upperBound).toBe(want.upperBound);
      }),
      { seed: 11, numRuns: runs },
    );
  });
});

describe('out is validated before any work', () => {
  const x = gaussianMatrix(8, 8, 3);
  const calls = {
    standardMask: (out: unknown) => standardMask(x, { n: 2, m: 4, out: out as Uint8Array }),
    transposableMask: (out: unknown) => transposableMask(x, { n: 2, m: 4, out: out as Uint8Array }),
  };

  it.each(Object.keys(calls))('%s refuses a wrong type or length with E_OPTION', async (name) => {
    const call = calls[name as keyof typeof calls];
    for (const bad of [new Float32Array(64), new Uint8ClampedArray(64), Array.from({ length: 64 }, () => 0), new Uint8Array(63), new Uint8Array(65), null, 'mask']) {
      const error = await call(bad).catch((e: unknown) => e);
      expect(error, String(bad)).toBeInstanceOf(NmsparseError);
      expect((error as NmsparseError).code).toBe('E_OPTION');
    }
  });

  it.each(Object.keys(calls))('%s refuses an out that overlaps the scores, accepts one beside them', async (name) => {
    const buffer = new ArrayBuffer(64 * 4 + 64);
    const scores = new Float32Array(buffer, 0, 64);
    scores.set(x.data);
    const y = { rows: 8, cols: 8, data: scores };
    const call = (out: Uint8Array) =>
      name === 'standardMask' ? standardMask(y, { n: 2, m: 4, out }) : transposableMask(y, { n: 2, m: 4, out });
    for (const offset of [0, 64 * 4 - 1, 100]) {
      const error = await call(new Uint8Array(buffer, offset, 64)).catch((e: unknown) => e);
      expect(error, `offset ${offset}`).toBeInstanceOf(NmsparseError);
      expect((error as NmsparseError).code).toBe('E_OPTION');
      expect(Array.from(scores)).toEqual(Array.from(x.data)); // nothing was written
    }
    const beside = new Uint8Array(buffer, 64 * 4, 64);
    const got = await call(beside);
    expect(got.mask).toBe(beside);
    expect(Array.from(scores)).toEqual(Array.from(x.data));
  });
});
