// Documented limits, refused alike on every backend before any work: M per method (MAX_M) and the
// TSENOR options' ranges (TSENOR_LIMITS), so nothing out of range reaches the 32-bit kernels
// (issue 10 #2 and #11).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NmsparseError } from '../../src/core/errors.js';
import { MAX_M, resolveTsenorOptions, TSENOR_LIMITS } from '../../src/core/maskOptions.js';
import { standardMask, transposableMask } from '../../src/masks.js';
import { certify } from '../../src/verify/certify.js';
import type { BackendName, TransposableMethod, TsenorOptions } from '../../src/core/types.js';

const BACKENDS: BackendName[] = ['reference', 'wasm'];
const METHODS: TransposableMethod[] = ['exact', 'greedy', 'tsenor'];

async function codeOf(work: () => Promise<unknown>): Promise<string> {
  try {
    await work();
  } catch (e) {
    if (e instanceof NmsparseError) return e.code;
    throw e;
  }
  return 'resolved';
}

function codeOfSync(work: () => unknown): string {
  try {
    work();
  } catch (e) {
    if (e instanceof NmsparseError) return e.code;
    throw e;
  }
  return 'returned';
}

describe('limits on M', () => {
  it('refuses M beyond the method limit with E_LIMIT on every backend, before reading the scores', async () => {
    // The scores are not even a valid matrix: the limit is checked before anything else is done.
    const scores = { rows: 1, cols: 1, data: new Float32Array(1) };
    for (const backend of BACKENDS) {
      for (const method of METHODS) {
        for (const m of [MAX_M[method] + 1, 4992, 2 ** 31, 2 ** 40]) {
          expect(await codeOf(() => transposableMask(scores, { n: 2, m, method, backend })), `${method} M=${m}`).toBe('E_LIMIT');
        }
      }
      expect(await codeOf(() => standardMask(scores, { n: 2, m: MAX_M.standard + 1, backend }))).toBe('E_LIMIT');
      expect(await codeOf(() => standardMask(scores, { n: 2, m: 2 ** 20, backend }))).toBe('E_LIMIT');
    }
    const certifyArgs = { n: 2, m: MAX_M.exact + 1, transposable: true };
    expect(await codeOf(() => certify(scores, new Uint8Array(1), certifyArgs))).toBe('E_LIMIT');
  });

  it('accepts M at the limit (standard, and a transposable tile solved and certified)', async () => {
    const m = MAX_M.standard;
    const row = Float32Array.from({ length: m }, (_, k) => (k * 7919) % m);
    for (const backend of BACKENDS) {
      const result = await standardMask({ rows: 1, cols: m, data: row }, { n: 3, m, backend });
      expect(Array.from(result.mask.keys()).filter((k) => result.mask[k])).toEqual(
        [m - 1, m - 2, m - 3].map((v) => row.indexOf(v)).sort((a, b) => a - b),
      );
    }
    const t = MAX_M.exact;
    const tile = Float32Array.from({ length: t * t }, (_, k) => ((k * 2654435761) % 1000) / 1000);
    const result = await transposableMask({ rows: t, cols: t, data: tile }, { n: 4, m: t, method: 'exact', backend: 'wasm' });
    expect(result.gap).toBeLessThanOrEqual(1e-9);
  });
});

describe('limits on the TSENOR options', () => {
  const wrapped: Array<Partial<TsenorOptions>> = [
    { iterations: 2 ** 32 + 1 },
    { iterations: 2 ** 31 },
    { iterations: TSENOR_LIMITS.iterations + 1 },
    { localSearchSteps: 2 ** 32 },
    { localSearchSteps: TSENOR_LIMITS.localSearchSteps + 1 },
    { stages: TSENOR_LIMITS.stages + 1 },
    { tau: 1e39 },
    { tau: Number.POSITIVE_INFINITY },
  ];

  it('refuses values past the documented maxima with E_OPTION on every backend', async () => {
    const scores = { rows: 4, cols: 4, data: new Float32Array(16).fill(1) };
    for (const tsenor of wrapped) {
      expect(codeOfSync(() => resolveTsenorOptions(tsenor)), JSON.stringify(tsenor)).toBe('E_OPTION');
      for (const backend of BACKENDS) {
        expect(await codeOf(() => transposableMask(scores, { n: 2, m: 4, method: 'tsenor', tsenor, backend }))).toBe('E_OPTION');
      }
    }
  });

  it('accepts every integer value up to the maxima and nothing outside', () => {
    const keys = ['iterations', 'stages', 'localSearchSteps'] as const;
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.integer({ min: -10, max: 2 ** 33 }), (key, value) => {
        const minimum = key === 'localSearchSteps' ? 0 : 1;
        const inRange = value >= minimum && value <= TSENOR_LIMITS[key];
        expect(codeOfSync(() => resolveTsenorOptions({ [key]: value }))).toBe(inRange ? 'returned' : 'E_OPTION');
      }),
      { seed: 1011, numRuns: 500 },
    );
    for (const key of keys) expect(resolveTsenorOptions({ [key]: TSENOR_LIMITS[key] })[key]).toBe(TSENOR_LIMITS[key]);
    expect(resolveTsenorOptions({ tau: TSENOR_LIMITS.tau }).tau).toBe(TSENOR_LIMITS.tau);
  });
});
