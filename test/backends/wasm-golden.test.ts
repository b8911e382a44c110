import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import '../../src/backends/all.js';
import { getKernel, type Kernel, type KernelName } from '../../src/backends/registry.js';
import { recomputedUpperBound } from '../../src/reference/dualBound.js';
import { gatherTiles } from '../../src/core/matrix.js';
import { DEFAULT_TSENOR_OPTIONS } from '../../src/core/maskOptions.js';
import { gaussianMatrix, mulberry32, tiedMatrix } from '../support/random.js';
import { tileMaskHex } from '../support/tiles.js';
import type { Fill, TileBatch, TsenorOptions } from '../../src/core/types.js';

/**
 * What the wasm kernels must reproduce exactly, beyond optimality and validity (wasm.test.ts):
 * their own tie-breaks on tied tiles, the JS bound bit for bit, and the reference TSENOR masks.
 * Each test here kills kernel mutants that the tolerant conformance tests let through
 * (test/mutants/kernels.json, `npm run mutate:kernels`).
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

beforeAll(() => {
  // The kernels are a build output (git-ignored): compile them when this checkout has none yet.
  if (process.env.NMSPARSE_WASM_DIR) return;
  const built = ['build/nmsparse.wasm', 'build/nmsparse-threads.wasm'].every((f) => existsSync(ROOT + f));
  if (!built) execFileSync(process.execPath, [ROOT + 'scripts/build-wasm.mjs'], { stdio: 'inherit' });
}, 120_000);

function kernel<K extends KernelName>(name: K, backend: 'wasm' | 'reference'): Kernel<K> {
  const run = getKernel(name, backend);
  if (!run) throw new Error(`${backend} lacks ${name}`);
  return run;
}

/**
 * Golden exact masks and duals of the wasm kernel on the 16 tied M×M tiles of a 4M×4M matrix of
 * integers 0…3 (seed 1), fill exact: per tile its mask in hex (4 entries a digit), and the first 16
 * duals (M = 8 exercises the argmin lanes beyond the first four columns).
 * The kernel's variant (per-M fix schedule, augmenting from either side; assembly/exact.ts) breaks
 * ties differently from the reference, so these are its own values; both are optimal.
 */
const GOLDEN_EXACT: Array<{ n: number; m: number; masks: string; u: number[]; v: number[] }> = [
  {
    n: 1,
    m: 4,
    masks: '8124 8241 2418 1284 2814 8421 2418 1842 8421 8412 1284 8142 2481 4281 8412 8214',
    u: [0, 0, 0, 0, 1, -1, 0, 0, 0, 0, -1, 1, 0, 0, 0, 1],
    v: [2, 3, 3, 3, 2, 3, 1, 2, 2, 3, 1, 3, 2, 2, 3, 0],
  },
  {
    n: 2,
    m: 4,
    masks: '396c ac53 6c93 53ac ac35 c639 a35c 3cc3 a659 c53a 9696 c35a a5c3 6a95 965a 639c',
    u: [0, -1, 0, 0, 1, -1, -1, 0, 0, 0, -1, 1, -1, 0, 0, 0],
    v: [2, 1, 2, 3, 2, 1, 1, 2, 2, 3, 1, 2, 2, 2, 1, 0],
  },
  {
    n: 2,
    m: 8,
    masks:
      '1814a00ac0210641 600aa01418058241 30c00c0905904222 821448c01122210c 1190842460480a03 06281150c0092482 8821902803500644 4184501422220988 ' +
      '88a0054211122448 5028422803848411 2805448803906012 0921501884422482 11420c0330c08428 480512c014822128 1142a01405422888 050942a028901442',
    u: [0, 0, 0, -1, 0, -1, 0, 0, -1, -1, 0, 0, 0, 0, 0, 0],
    v: [3, 1, 3, 3, 3, 3, 3, 3, 3, 3, 2, 3, 3, 3, 2, 2],
  },
  {
    n: 4,
    m: 8,
    masks:
      '9a748d4bb471a64b 659aa35c78878e71 b8d1ac4b4796722d 4e9c5cc3a3a3713c 369987cc716c9a63 476cb196d82b748b ccb1b82e63d2174d 65c5d21db23a4bac ' +
      'e8aa95471dd23669 556cc3e82b369c93 2e1d748d8bd2e172 59b1d259a5662e8e 954e1d2bf0e2a55a 4b95d24d74aa33ac 1bc3f0b42d564daa 954b4eb22d9974e2',
    u: [0, 0, 0, -1, 0, -1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0],
    v: [2, 1, 3, 3, 2, 2, 2, 2, 1, 0, 1, 2, 2, 1, 1, 0],
  },
];

describe('wasm exact: golden masks and duals on tied tiles', () => {
  for (const { n, m, masks, u, v } of GOLDEN_EXACT) {
    it(`${n}:${m} exact fill`, async () => {
      const batch: TileBatch = { tiles: gatherTiles(tiedMatrix(4 * m, 4 * m, 1), m), count: 16, m };
      const out = await kernel('exactTiles', 'wasm')({ batch, n, fill: 'exact' }, {});
      expect(Array.from({ length: 16 }, (_, t) => tileMaskHex(out.mask, t, m)).join(' ')).toBe(masks);
      // The sign of a zero dual is not part of the contract: −0 + 0 is +0.
      expect(Array.from(out.u.subarray(0, 16), (x) => x + 0)).toEqual(u);
      expect(Array.from(out.v.subarray(0, 16), (x) => x + 0)).toEqual(v);
    });
  }
});

/** Tiles of f32 values with magnitudes log-uniform in 1e-8 … 1e8 and random signs: sums that round. */
function wideRangeBatch(m: number, count: number, seed: number): TileBatch {
  const uniform = mulberry32(seed);
  const tiles = Float32Array.from({ length: count * m * m }, () => (uniform() < 0.5 ? -1 : 1) * 10 ** (16 * uniform() - 8));
  return { tiles, count, m };
}

describe('wasm exact: its bound is the JS recomputation, bit for bit', () => {
  it('for every M mod 4 (3, 7, 11 included) on tiles spanning 1e-8 … 1e8, both fills', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(3, 4, 5, 6, 7, 8, 11, 12),
        fc.constantFrom<Fill>('exact', 'atMost'),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        async (m, fill, seed) => {
          const batch = wideRangeBatch(m, 6, seed);
          const n = 1 + (seed % (m - 1));
          const solution = await kernel('exactTiles', 'wasm')({ batch, n, fill }, {});
          expect(solution.upperBound).toBeDefined();
          expect(Object.is(solution.upperBound, recomputedUpperBound(batch, n, fill, solution))).toBe(true);
        },
      ),
      { seed: 1616, numRuns: 80 },
    );
  });
});

/**
 * TSENOR across backends: on seeded Gaussian tiles the wasm f32 port returns the reference's masks
 * exactly (it follows the reference schedule step for step), stronger than the general contract
 * (KERNEL_CONTRACTS, checked by conformance.test.ts on every kind of tile): on adversarial tiles (ties,
 * huge ranges, zeros) f32 rounding and the kernel's S_MIN floor may pick another valid mask.
 */
describe('wasm TSENOR: the reference masks on seeded Gaussian tiles', () => {
  const schedules: Array<[string, TsenorOptions]> = [
    ['the default schedule', DEFAULT_TSENOR_OPTIONS],
    ['20 iterations over 3 stages (7, 13, 20)', { ...DEFAULT_TSENOR_OPTIONS, iterations: 20, stages: 3 }],
    ['10 iterations over 4 stages, no local search', { ...DEFAULT_TSENOR_OPTIONS, iterations: 10, stages: 4, localSearchSteps: 0 }],
  ];
  for (const [n, m] of [
    [8, 16],
    [16, 32],
  ] as const) {
    for (const [name, options] of schedules) {
      it(`${n}:${m}, ${name}, both fills`, async () => {
        for (const fill of ['exact', 'atMost'] as const) {
          const x = gaussianMatrix(128, 128, 7 + m);
          const batch: TileBatch = { tiles: gatherTiles(x, m), count: (128 / m) ** 2, m };
          const ours = await kernel('tsenorTiles', 'wasm')({ batch, n, fill, options }, {});
          expect(ours).toEqual(await kernel('tsenorTiles', 'reference')({ batch, n, fill, options }, {}));
        }
      });
    }
  }
});
