// prox24 on groups spanning many orders of magnitude (issue 10 #13): z = [32488.1, −3.7e-10,
// −7.1e-38, −1.2860241e-6] with λ = 1e-30 returned |w₃| > |z₃|, worse than w = z, on both backends.
// Every backend's result is checked against the exact oracle of test/support/prox24Oracle.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prox24 } from '../../src/prune/prox.js';
import { mulberry32 } from '../support/random.js';
import { proxDefect } from '../support/prox24Oracle.js';
import type { BackendName } from '../../src/core/types.js';

const BACKENDS: BackendName[] = ['reference', 'wasm'];

/** `groups` groups of 4 with magnitudes log-uniform in [1e-38, 1e4] and random signs. */
function logUniformGroups(groups: number, seed: number): Float32Array {
  const uniform = mulberry32(seed);
  return Float32Array.from({ length: 4 * groups }, () => (uniform() < 0.5 ? -1 : 1) * 10 ** (-38 + 42 * uniform()));
}

/** The groups where `w` is not the prox of `z`, with the reason, at most `limit` of them. */
function defects(z: Float32Array, w: Float32Array, lambda: number, limit = 3): string[] {
  const found: string[] = [];
  for (let g = 0; g < z.length / 4 && found.length < limit; g++) {
    const zg = z.subarray(4 * g, 4 * g + 4);
    const why = proxDefect(w.subarray(4 * g, 4 * g + 4), zg, lambda);
    if (why) found.push(`z = [${Array.from(zg).join(', ')}]: ${why}`);
  }
  return found;
}

describe('prox24 on log-uniform data, against an exact oracle', () => {
  it('solves the reported group on every backend', async () => {
    const z = Float32Array.from([32488.1, -3.7e-10, -7.1e-38, -1.2860241e-6]);
    for (const backend of BACKENDS) {
      const { values } = await prox24(z, 1e-30, { backend });
      expect(defects(z, values, 1e-30), backend).toEqual([]);
    }
  });

  it('is never beaten by a candidate and stays in the box |w| ≤ |z| (groups from 1e-38 to 1e4)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 }), fc.double({ min: -36, max: 1, noNaN: true }), async (seed, exponent) => {
        const lambda = 10 ** exponent;
        const z = logUniformGroups(1500, seed);
        for (const backend of BACKENDS) {
          const { values } = await prox24(z, lambda, { backend });
          expect(defects(z, values, lambda), `${backend}, λ = ${lambda}`).toEqual([]);
        }
      }),
      { seed: 1013, numRuns: 16 },
    );
  });
});
