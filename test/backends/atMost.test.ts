// Fill 'atMost' across backends: an entry whose score is ≤ 0 is never kept, and every backend
// returns the same mask. Greedy and TSENOR are bit-identical by construction; the exact optimum is
// unique when the positive scores are generic reals (zeros are dropped, negatives never pay), so on
// such scores the exact masks agree too, while ties among positive scores may be broken differently.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { transposableMask } from '../../src/masks.js';
import { mulberry32 } from '../support/random.js';
import type { BackendName, TransposableMethod } from '../../src/core/types.js';

const BACKENDS: BackendName[] = ['reference', 'wasm'];
const METHODS: TransposableMethod[] = ['exact', 'greedy', 'tsenor'];
const PATTERNS = [
  [1, 4],
  [2, 4],
  [3, 4],
  [4, 8],
  [8, 16],
] as const;

/** rows×cols scores: zeros, negatives and random real positives in the given proportions. */
function mixedScores(rows: number, cols: number, seed: number, zeros: number, negatives: number): Float32Array {
  const uniform = mulberry32(seed);
  const data = new Float32Array(rows * cols);
  for (let k = 0; k < data.length; k++) {
    const kind = uniform();
    const magnitude = 0.01 + uniform();
    data[k] = kind < zeros ? 0 : kind < zeros + negatives ? -magnitude : magnitude;
  }
  return data;
}

async function masksOf(data: Float32Array, rows: number, cols: number, n: number, m: number, method: TransposableMethod) {
  const masks: Uint8Array[] = [];
  for (const backend of BACKENDS) {
    const result = await transposableMask({ rows, cols, data }, { n, m, method, fill: 'atMost', backend });
    expect(result.backend).toBe(backend);
    masks.push(result.mask);
  }
  return masks;
}

function keptNonPositive(data: Float32Array, mask: Uint8Array): number {
  let count = 0;
  for (let k = 0; k < mask.length; k++) if (mask[k] && !((data[k] as number) > 0)) count++;
  return count;
}

describe("fill 'atMost' on every backend", () => {
  it('keeps only the one positive entry of a tile of zeros (issue 10 #9)', async () => {
    for (const method of METHODS) {
      for (const [n, m] of [
        [2, 4],
        [3, 4],
        [8, 16],
      ] as const) {
        const data = new Float32Array(m * m);
        data[m + 2] = 5;
        for (const mask of await masksOf(data, m, m, n, m, method)) {
          expect(Array.from(mask.keys()).filter((k) => mask[k]), `${method} ${n}:${m}`).toEqual([m + 2]);
        }
      }
    }
  });

  it('never keeps a score ≤ 0, and the masks agree (zeros, negatives, random positives)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PATTERNS),
        fc.constantFrom(...METHODS),
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.constantFrom(0, 0.3, 0.7, 0.95),
        fc.constantFrom(0, 0.3, 0.6),
        fc.integer({ min: 1, max: 3 }),
        async ([n, m], method, seed, zeros, negatives, tilesDown) => {
          const rows = tilesDown * m;
          const cols = 2 * m;
          const data = mixedScores(rows, cols, seed, zeros, Math.min(negatives, 1 - zeros));
          const [reference, ...others] = await masksOf(data, rows, cols, n, m, method);
          expect(keptNonPositive(data, reference!)).toBe(0);
          for (const mask of others) expect(mask).toEqual(reference);
        },
      ),
      { seed: 910, numRuns: 150 },
    );
  });
});
