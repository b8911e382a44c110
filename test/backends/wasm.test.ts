import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { listBackends, resolveBackend } from '../../src/backends/backend.js';
import { referenceBackend } from '../../src/backends/reference.js';
import { configureWasm, wasmBackend } from '../../src/backends/wasm.js';
import { batchUpperBound, recomputedUpperBound, relativeGap, tileUpperBound } from '../../src/verify/dualBound.js';
import { transposableMask } from '../../src/masks.js';
import { gatherTiles, maskedSum, scatterTiles, type Matrix } from '../../src/core/matrix.js';
import { checkTransposable } from '../../src/verify/validity.js';
import { DEFAULT_TSENOR_OPTIONS } from '../../src/core/maskOptions.js';
import { PATTERNS, tileBatchArb, type ValueKind } from '../support/tiles.js';
import { absGaussianMatrix, gaussianMatrix, tiedMatrix } from '../support/random.js';
import type { Fill, ExactSolution, TileBatch, TransposableMethod } from '../../src/core/types.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FILLS: Fill[] = ['exact', 'atMost'];
const ALL_KINDS: ValueKind[] = ['gaussian', 'ties', 'zeros', 'huge', 'positive'];

beforeAll(() => {
  // The kernels are a build output (git-ignored): compile them when this checkout has none yet.
  const built = ['build/nmsparse.wasm', 'build/nmsparse-threads.wasm'].every((f) => existsSync(ROOT + f));
  if (!built) execFileSync(process.execPath, [ROOT + 'scripts/build-wasm.mjs'], { stdio: 'inherit' });
}, 120_000);

/** Every tile of a mask is valid (exactly or at most N per tile row and column). */
function expectValid(batch: TileBatch, n: number, fill: Fill, mask: Uint8Array): void {
  const { m, count } = batch;
  // The batch laid out as a (count·m)×m matrix: one tile per block of m rows.
  const report = checkTransposable(mask, count * m, m, n, m, fill);
  expect(report.violationCount).toBe(0);
}

function objectivesClose(a: number, b: number, rel: number): boolean {
  return Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b), 1e-300);
}

/** The exact solution is certified optimal per tile: its own potentials prove it (gap 0). */
function expectCertified(batch: TileBatch, n: number, fill: Fill, solution: ExactSolution): void {
  for (let t = 0; t < batch.count; t++) {
    const size = batch.m * batch.m;
    const tileMask = solution.mask.subarray(t * size, (t + 1) * size);
    const objective = maskedSum(batch.tiles.subarray(t * size, (t + 1) * size), tileMask);
    const ub = tileUpperBound(batch.tiles, t, batch.m, n, fill, solution.u, solution.v);
    expect(Number.isFinite(ub)).toBe(true);
    expect(relativeGap(ub, objective)).toBeLessThanOrEqual(1e-9);
  }
  // A bound the kernel summed with the solve is the one certificate.ts computes from the potentials.
  const recomputed = recomputedUpperBound(batch, n, fill, solution);
  expect(solution.upperBound ?? recomputed).toBe(recomputed);
}

describe('wasm backend', () => {
  it('is registered and available, and auto picks it', async () => {
    const info = (await listBackends()).find((b) => b.name === 'wasm');
    expect(info?.available, info?.reason).toBe(true);
    expect((await resolveBackend('auto')).name).toBe('wasm');
  });

  it('exact: certified optimal with the reference objective (both fills)', async () => {
    await fc.assert(
      fc.asyncProperty(tileBatchArb(ALL_KINDS, 4), fc.constantFrom(...FILLS), async ({ batch, n }, fill) => {
        const ours = await wasmBackend.exact(batch, n, fill, {});
        const ref = await referenceBackend.exact(batch, n, fill, {});
        expectValid(batch, n, fill, ours.mask);
        expectCertified(batch, n, fill, ours);
        const a = maskedSum(batch.tiles, ours.mask);
        const b = maskedSum(batch.tiles, ref.mask);
        expect(objectivesClose(a, b, 1e-9), `${a} vs ${b}`).toBe(true);
      }),
      { seed: 42, numRuns: 400 },
    );
  });

  it('exact: large patterns (16:32, 3:5, 1:8, 7:12) on random scores', async () => {
    const patterns: Array<[number, number]> = [
      [16, 32],
      [3, 5],
      [1, 8],
      [7, 12],
      [2, 6],
    ];
    for (const [n, m] of patterns) {
      for (const fill of FILLS) {
        const x = gaussianMatrix(2 * m, 3 * m, 1000 + n * m);
        const batch: TileBatch = { tiles: x.data, count: 6, m };
        const ours = await wasmBackend.exact(batch, n, fill, {});
        const ref = await referenceBackend.exact(batch, n, fill, {});
        expectValid(batch, n, fill, ours.mask);
        expectCertified(batch, n, fill, ours);
        const ub = batchUpperBound(batch, n, fill, ours);
        expect(objectivesClose(ub, maskedSum(batch.tiles, ref.mask), 1e-9)).toBe(true);
      }
    }
  });

  it('greedy: bit-identical to the reference (both fills)', async () => {
    await fc.assert(
      fc.asyncProperty(tileBatchArb(ALL_KINDS, 4), fc.constantFrom(...FILLS), async ({ batch, n }, fill) => {
        const ours = await wasmBackend.greedy(batch, n, fill, {});
        expectValid(batch, n, fill, ours);
        expect(ours).toEqual(await referenceBackend.greedy(batch, n, fill, {}));
      }),
      { seed: 42, numRuns: 400 },
    );
    for (const [n, m] of [
      [16, 32],
      [3, 5],
      [1, 8],
      [7, 12],
    ] as const) {
      for (const fill of FILLS) {
        const batch: TileBatch = { tiles: gaussianMatrix(2 * m, 2 * m, n + m).data, count: 4, m };
        expect(await wasmBackend.greedy(batch, n, fill, {})).toEqual(await referenceBackend.greedy(batch, n, fill, {}));
      }
    }
  });

  it('tsenor: valid, full under exact fill, objective within 0.05% of the reference', async () => {
    const options = { ...DEFAULT_TSENOR_OPTIONS };
    await fc.assert(
      fc.asyncProperty(tileBatchArb(ALL_KINDS, 5), fc.constantFrom(...FILLS), async ({ batch, n }, fill) => {
        const ours = await wasmBackend.tsenor(batch, n, fill, options, {});
        expectValid(batch, n, fill, ours);
        const a = maskedSum(batch.tiles, ours);
        const b = maskedSum(batch.tiles, await referenceBackend.tsenor(batch, n, fill, options, {}));
        // Relative to the tiles' total magnitude, so tiles of mixed sign compare on a fair scale.
        let scale = 0;
        for (const x of batch.tiles) scale += Math.abs(x);
        expect(Math.abs(a - b), `${a} vs ${b}`).toBeLessThanOrEqual(5e-4 * scale + 1e-300);
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('tsenor: on Gaussian 8:16 and 16:32 matrices, within 0.05% of the reference objective', async () => {
    for (const [n, m] of [
      [8, 16],
      [16, 32],
      [2, 4],
      [3, 5],
    ] as const) {
      for (const fill of FILLS) {
        const x = gaussianMatrix(4 * m, 4 * m, 77 + m);
        const batch: TileBatch = { tiles: x.data, count: 16, m };
        const options = { ...DEFAULT_TSENOR_OPTIONS };
        const ours = await wasmBackend.tsenor(batch, n, fill, options, {});
        expectValid(batch, n, fill, ours);
        const a = maskedSum(batch.tiles, ours);
        const b = maskedSum(batch.tiles, await referenceBackend.tsenor(batch, n, fill, options, {}));
        expect(a).toBeGreaterThanOrEqual(b - 5e-4 * Math.abs(b));
      }
    }
  });

  it('standard: bit-identical to the reference', async () => {
    await fc.assert(
      fc.asyncProperty(tileBatchArb(ALL_KINDS, 3), fc.integer({ min: 1, max: 5 }), async ({ batch, n: _n }, rows) => {
        const m = batch.m;
        const cols = (batch.count * m * m) / rows;
        if (!Number.isInteger(cols / m)) return;
        const scores: Matrix = { rows, cols, data: batch.tiles };
        for (let n = 1; n < m; n++) {
          const ours = await wasmBackend.standard(scores, n, m, {});
          const ref = await referenceBackend.standard(scores, n, m, {});
          expect(ours).toEqual(ref);
        }
      }),
      { seed: 42, numRuns: 80 },
    );
  });
});

/** Values of one 4-group: random, ties, zeros, and magnitudes from 1e-30 to 1e30. */
const proxValue = fc.oneof(
  fc.constantFrom(0, 1, -1, 0.5, -0.5),
  fc.double({ min: -2, max: 2, noNaN: true }).map(Math.fround),
);
const proxGroups = fc
  .tuple(
    fc.array(fc.tuple(proxValue, proxValue, proxValue, proxValue), { minLength: 1, maxLength: 40 }),
    fc.constantFrom(1, 1e-30, 1e-8, 1e8, 1e30),
  )
  .map(([groups, scale]) => Float32Array.from(groups.flat(), (x) => x * scale));
const proxLambda = fc.oneof(
  fc.double({ min: -3, max: 2, noNaN: true }).map((e) => 10 ** e),
  fc.double({ min: 0.05, max: 4, noNaN: true }),
  fc.constantFrom(0, 1e-30, 1e30),
);

/** Largest |a − b| over a group, relative to the group's largest |z| (0 for a zero group). */
function proxDifference(z: Float32Array, a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let g = 0; g < z.length; g += 4) {
    let scale = 0;
    for (let i = g; i < g + 4; i++) scale = Math.max(scale, Math.abs(z[i] as number));
    for (let i = g; i < g + 4; i++) {
      const diff = Math.abs((a[i] as number) - (b[i] as number));
      if (diff > 0) worst = Math.max(worst, diff / scale);
    }
  }
  return worst;
}

describe('wasm prox24', () => {
  it('matches the reference within 1e-6 of each group’s largest |z| (ties, zeros, extreme λ and scales)', async () => {
    await fc.assert(
      fc.asyncProperty(proxGroups, proxLambda, async (z, lambda) => {
        const scaled = lambda / Math.max(1e-30, ...Array.from(z, Math.abs));
        for (const l of [lambda, scaled]) {
          const ours = await wasmBackend.prox24(z, l, {});
          const ref = await referenceBackend.prox24(z, l, {});
          expect(ours.every(Number.isFinite)).toBe(true);
          expect(proxDifference(z, ours, ref)).toBeLessThanOrEqual(1e-6);
        }
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  it('gives the same groups on the worker pool as inline', async () => {
    const z = gaussianMatrix(64, 256, 11).data;
    await configureWasm({ threads: 1 });
    const inline = await wasmBackend.prox24(z, 0.3, {});
    await configureWasm({ threads: 2, minParallelUnits: 0 });
    const pooled = await wasmBackend.prox24(z, 0.3, {});
    await configureWasm({ threads: 2, minParallelUnits: 4096 });
    expect(pooled).toEqual(inline);
    expect(proxDifference(z, inline, await referenceBackend.prox24(z, 0.3, {}))).toBeLessThanOrEqual(1e-6);
  });
});

describe('wasm worker pool', () => {
  it('gives identical results whatever the pool size, with progress', async () => {
    const x = absGaussianMatrix(64, 128, 7);
    const m = 8;
    const batch: TileBatch = { tiles: x.data, count: (64 * 128) / 64, m };
    const results: ExactSolution[] = [];
    for (const threads of [1, 2, 3]) {
      await configureWasm({ threads, minParallelUnits: 0 });
      let last = 0;
      results.push(
        await wasmBackend.exact(batch, 4, 'exact', {
          onProgress: (p) => {
            expect(p.done).toBeGreaterThan(last);
            last = p.done;
          },
        }),
      );
      expect(last).toBe(batch.count);
    }
    for (const r of results.slice(1)) {
      expect(r.mask).toEqual(results[0]?.mask);
      expect(r.u).toEqual(results[0]?.u);
      expect(r.v).toEqual(results[0]?.v);
      expect(r.upperBound).toBe(results[0]?.upperBound);
    }
  });

  it('streams every kernel through the pool with the inline results (odd piece sizes included)', async () => {
    // 13 tiles: pieces of a few tiles, and a TSENOR piece that is not a multiple of 4 at the end.
    const x = absGaussianMatrix(13 * 8, 8, 21);
    const batch: TileBatch = { tiles: x.data, count: 13, m: 8 };
    const run = async () => ({
      exact: await wasmBackend.exact(batch, 3, 'exact', {}),
      greedy: await wasmBackend.greedy(batch, 3, 'atMost', {}),
      tsenor: await wasmBackend.tsenor(batch, 3, 'exact', DEFAULT_TSENOR_OPTIONS, {}),
      standard: await wasmBackend.standard(x, 3, 8, {}),
      prox: await wasmBackend.prox24(x.data, 0.2, {}),
    });
    await configureWasm({ threads: 1 });
    const inline = await run();
    await configureWasm({ threads: 3, minParallelUnits: 0 });
    const pooled = await run();
    await configureWasm({ threads: 2, minParallelUnits: 4096 });
    expect(pooled).toEqual(inline);
    expect(inline.greedy).toEqual(await referenceBackend.greedy(batch, 3, 'atMost', {}));
    expect(inline.standard).toEqual(await referenceBackend.standard(x, 3, 8, {}));
  });

  it('stops on abort, inline and on the pool', async () => {
    const x = absGaussianMatrix(256, 256, 9);
    const batch: TileBatch = { tiles: x.data, count: 256, m: 16 };
    for (const threads of [1, 2]) {
      await configureWasm({ threads, minParallelUnits: 0 });
      const controller = new AbortController();
      const run = wasmBackend.exact(batch, 8, 'exact', {
        signal: controller.signal,
        onProgress: () => controller.abort(),
      });
      await expect(run).rejects.toMatchObject({ code: 'E_ABORTED' });
      const aborted = AbortSignal.abort();
      await expect(wasmBackend.exact(batch, 8, 'exact', { signal: aborted })).rejects.toMatchObject({
        code: 'E_ABORTED',
      });
    }
    await configureWasm({ threads: 2, minParallelUnits: 4096 });
  });

  it('rejects bad settings with E_OPTION', async () => {
    await expect(configureWasm({ threads: 0 })).rejects.toMatchObject({ code: 'E_OPTION' });
    await expect(configureWasm({ minParallelUnits: -1 })).rejects.toMatchObject({ code: 'E_OPTION' });
  });
});

/** The tile path of src/masks.ts on the wasm tile kernels: gather, solve, scatter, sum, bound. */
async function viaTiles(x: Matrix, n: number, m: number, method: TransposableMethod, fill: Fill) {
  const batch: TileBatch = { tiles: gatherTiles(x, m), count: (x.rows / m) * (x.cols / m), m };
  let tileMask: Uint8Array;
  let upperBound: number | undefined;
  if (method === 'exact') {
    const solution = await wasmBackend.exact(batch, n, fill, {});
    tileMask = solution.mask;
    upperBound = recomputedUpperBound(batch, n, fill, solution);
  } else {
    tileMask =
      method === 'greedy'
        ? await wasmBackend.greedy(batch, n, fill, {})
        : await wasmBackend.tsenor(batch, n, fill, DEFAULT_TSENOR_OPTIONS, {});
  }
  return { mask: scatterTiles(tileMask, x.rows, x.cols, m), objective: maskedSum(batch.tiles, tileMask), upperBound };
}

/** A random matrix of whole M×M tiles: signed Gaussian, |Gaussian|, small tied integers or huge values. */
const matrixArb = fc
  .record({
    pattern: fc.constantFrom(...PATTERNS, [3, 5] as const, [7, 12] as const),
    tileRows: fc.integer({ min: 1, max: 3 }),
    tileCols: fc.integer({ min: 1, max: 6 }),
    kind: fc.constantFrom('gaussian', 'abs', 'ties', 'huge'),
    seed: fc.integer({ min: 1, max: 1_000_000 }),
  })
  .map(({ pattern: [n, m], tileRows, tileCols, kind, seed }) => {
    const rows = tileRows * m;
    const cols = tileCols * m;
    const x =
      kind === 'ties'
        ? tiedMatrix(rows, cols, seed)
        : kind === 'abs'
          ? absGaussianMatrix(rows, cols, seed)
          : gaussianMatrix(rows, cols, seed);
    if (kind === 'huge') x.data.forEach((v, k) => (x.data[k] = v * 1e30));
    return { x, n, m };
  });

describe('wasm transposableMatrix (row-major bands, no tile copies)', () => {
  const methods: TransposableMethod[] = ['exact', 'greedy', 'tsenor'];

  it('gives the tile path’s masks, its objective and (exact) its recomputed bound, inline and on the pool', async () => {
    for (const [threads, minParallelUnits] of [
      [1, 4096],
      [2, 0],
    ] as const) {
      await configureWasm({ threads, minParallelUnits });
      await fc.assert(
        fc.asyncProperty(
          matrixArb,
          fc.constantFrom(...methods),
          fc.constantFrom(...FILLS),
          async ({ x, n, m }, method, fill) => {
            const ours = await wasmBackend.transposableMatrix!(x, n, m, method, fill, DEFAULT_TSENOR_OPTIONS, {});
            const tiles = await viaTiles(x, n, m, method, fill);
            expect(ours.mask).toEqual(tiles.mask);
            expect(objectivesClose(ours.objective, tiles.objective, 1e-12), `${ours.objective} vs ${tiles.objective}`).toBe(
              true,
            );
            expect(ours.upperBound).toBe(tiles.upperBound);
            if (method === 'exact') expect(relativeGap(ours.upperBound!, ours.objective)).toBe(0);
          },
        ),
        { seed: 42, numRuns: 120 },
      );
    }
    await configureWasm({ threads: 2, minParallelUnits: 4096 });
  });

  it('transposableMask: wasm and reference agree (greedy bit-identical, exact optimal), whatever the caller does meanwhile', async () => {
    await fc.assert(
      fc.asyncProperty(matrixArb, fc.constantFrom(...FILLS), async ({ x, n, m }, fill) => {
        const original = x.data.slice();
        for (const method of ['greedy', 'exact'] as const) {
          // The caller overwrites its data right after the call starts: the result must not see it.
          let progress = { done: 0, total: 0 };
          const pending = transposableMask(x, { n, m, method, fill, backend: 'wasm', onProgress: (p) => (progress = p) });
          x.data.fill(0);
          const ours = await pending;
          const tiles = (x.rows / m) * (x.cols / m);
          expect(progress).toEqual({ done: tiles, total: tiles });
          x.data.set(original);
          const ref = await transposableMask(x, { n, m, method, fill, backend: 'reference' });
          if (method === 'greedy') expect(ours.mask).toEqual(ref.mask);
          expect(objectivesClose(ours.objective, ref.objective, 1e-9), `${ours.objective} vs ${ref.objective}`).toBe(true);
          const kept = maskedSum(x.data, ours.mask);
          expect(objectivesClose(ours.objective, kept, 1e-12), `${ours.objective} vs ${kept}`).toBe(true);
          if (method === 'exact') expect(ours.gap).toBe(0);
        }
      }),
      { seed: 42, numRuns: 60 },
    );
  });
});
