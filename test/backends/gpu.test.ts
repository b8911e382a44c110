import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveBackend } from '../../src/backends/backend.js';
import { configureGpu, gpuBackend, GPU_IDLE_RELEASE_MS, releaseGpu } from '../../src/backends/gpu.js';
import { referenceBackend } from '../../src/backends/reference.js';
import { gatherTiles, maskedSum, type Matrix } from '../../src/core/matrix.js';
import { standardMask, transposableMask } from '../../src/masks.js';
import { DEFAULT_TSENOR_OPTIONS } from '../../src/core/maskOptions.js';
import { checkTransposable } from '../../src/verify/validity.js';
import { absGaussianMatrix, columnScaledMatrix } from '../support/random.js';
import { tileBatchArb, type ValueKind } from '../support/tiles.js';
import type { Fill, TileBatch, TsenorOptions } from '../../src/core/types.js';

const FILLS: Fill[] = ['exact', 'atMost'];
const ALL_KINDS: ValueKind[] = ['gaussian', 'ties', 'zeros', 'huge', 'positive'];

// Probed once: starts the GPU (a software one in CI) and checks a kernel's result.
const gpu = await gpuBackend.available();
const onGpu = gpu.available ? `on ${gpu.reason}` : `SKIPPED, no GPU: ${gpu.reason}`;
if (!gpu.available) console.warn(`gpu backend tests SKIPPED: ${gpu.reason}`);

afterAll(releaseGpu);

function expectValid(batch: TileBatch, n: number, fill: Fill, mask: Uint8Array): void {
  const report = checkTransposable(mask, batch.count * batch.m, batch.m, n, batch.m, fill);
  expect(report.violationCount, JSON.stringify(report.violations)).toBe(0);
}

function batchOf(x: Matrix, m: number): TileBatch {
  return { tiles: gatherTiles(x, m), count: (x.rows / m) * (x.cols / m), m };
}

/** Cheap TSENOR settings for property runs. */
const optionsArb: fc.Arbitrary<TsenorOptions> = fc.record({
  tau: fc.constantFrom(1, 20, 50, 1000),
  iterations: fc.integer({ min: 1, max: 12 }),
  stages: fc.integer({ min: 1, max: 3 }),
  localSearchSteps: fc.integer({ min: 0, max: 8 }),
});

describe('gpu backend selection', () => {
  it("backend 'gpu' resolves exactly when the probe ran a kernel, else E_BACKEND with the reason", async () => {
    if (gpu.available) {
      expect((await resolveBackend('gpu')).name).toBe('gpu');
    } else {
      await expect(resolveBackend('gpu')).rejects.toMatchObject({ code: 'E_BACKEND' });
    }
    expect(gpu.reason.length).toBeGreaterThan(0);
  });

  it('rejects bad settings with E_OPTION', () => {
    for (const entriesPerLaunch of [0, -4, 1.5, 2 ** 27, Number.NaN]) {
      expect(() => configureGpu({ entriesPerLaunch })).toThrow(expect.objectContaining({ code: 'E_OPTION' }));
    }
  });
});

describe.skipIf(!gpu.available)(`gpu kernels against the reference (${onGpu})`, () => {
  it('never presents gpu.js cpu mode as a GPU: the adapter is WebGPU', () => {
    expect(gpu.reason).toMatch(/WebGPU kernels on /);
  });

  it('standard: bit-identical to the reference', async () => {
    await fc.assert(
      fc.asyncProperty(tileBatchArb(ALL_KINDS, 3), fc.integer({ min: 1, max: 4 }), async ({ batch }, rows) => {
        const m = batch.m;
        const cols = (batch.count * m * m) / rows;
        if (!Number.isInteger(cols / m)) return;
        const scores: Matrix = { rows, cols, data: batch.tiles };
        for (let n = 1; n < m; n++) {
          expect(await gpuBackend.standard(scores, n, m, {})).toEqual(await referenceBackend.standard(scores, n, m, {}));
        }
      }),
      { seed: 42, numRuns: 25 },
    );
  });

  it('greedy: bit-identical to the reference (both fills)', async () => {
    await fc.assert(
      fc.asyncProperty(tileBatchArb(ALL_KINDS, 4), fc.constantFrom(...FILLS), async ({ batch, n }, fill) => {
        const ours = await gpuBackend.greedy(batch, n, fill, {});
        expect(ours).toEqual(await referenceBackend.greedy(batch, n, fill, {}));
      }),
      { seed: 42, numRuns: 60 },
    );
  });

  it('tsenor: valid masks, full under fill exact, for every kind of value and setting', async () => {
    await fc.assert(
      fc.asyncProperty(
        tileBatchArb(ALL_KINDS, 3),
        fc.constantFrom(...FILLS),
        optionsArb,
        async ({ batch, n }, fill, options) => {
          expectValid(batch, n, fill, await gpuBackend.tsenor(batch, n, fill, options, {}));
        },
      ),
      { seed: 42, numRuns: 40 },
    );
  });

  it('tsenor: stays finite and valid for extreme τ and dynamic range', async () => {
    const x = absGaussianMatrix(32, 32, 5);
    x.data.forEach((v, k) => (x.data[k] = v * 10 ** ((k % 9) * 8 - 36)));
    for (const tau of [1e-3, 1e4, 1e12, 1e30]) {
      for (const fill of FILLS) {
        const batch = batchOf(x, 8);
        const options = { tau, iterations: 6, stages: 2, localSearchSteps: 4 };
        expectValid(batch, 4, fill, await gpuBackend.tsenor(batch, 4, fill, options, {}));
      }
    }
  });

  it('tsenor: objective within 0.05% of the reference TSENOR (Gaussian and column-scaled, default options)', async () => {
    const cases: Array<[Matrix, number, number]> = [
      [absGaussianMatrix(64, 64, 11), 8, 16],
      [absGaussianMatrix(32, 64, 12), 2, 4],
      [columnScaledMatrix(64, 64, 13), 8, 16],
    ];
    for (const [x, n, m] of cases) {
      for (const fill of FILLS) {
        const batch = batchOf(x, m);
        const ours = await gpuBackend.tsenor(batch, n, fill, DEFAULT_TSENOR_OPTIONS, {});
        const ref = await referenceBackend.tsenor(batch, n, fill, DEFAULT_TSENOR_OPTIONS, {});
        expectValid(batch, n, fill, ours);
        const a = maskedSum(batch.tiles, ours);
        const b = maskedSum(batch.tiles, ref);
        expect(Math.abs(a - b) / b, `${n}:${m} ${fill}: gpu ${a} vs reference ${b}`).toBeLessThanOrEqual(5e-4);
      }
    }
  });

  it('exact and prox24 run on the CPU backend with the reference results', async () => {
    const batch = batchOf(absGaussianMatrix(16, 16, 3), 8);
    const ours = await gpuBackend.exact(batch, 4, 'exact', {});
    const ref = await referenceBackend.exact(batch, 4, 'exact', {});
    expect(maskedSum(batch.tiles, ours.mask)).toBeCloseTo(maskedSum(batch.tiles, ref.mask), 9);
    const z = Float32Array.from([3, -1, 0.5, 2, 0, 0, 1, -4]);
    expect(await gpuBackend.prox24(z, 0.1, {})).toEqual(await referenceBackend.prox24(z, 0.1, {}));
  });

  it('reports progress per launch, honours an abort, and gives the same masks whatever the launch size', async () => {
    const batch = batchOf(absGaussianMatrix(32, 64, 21), 4);
    const whole = await gpuBackend.greedy(batch, 2, 'exact', {});
    configureGpu({ entriesPerLaunch: 16 * 40 });
    try {
      const seen: number[] = [];
      const split = await gpuBackend.greedy(batch, 2, 'exact', { onProgress: (p) => seen.push(p.done) });
      expect(split).toEqual(whole);
      expect(seen).toEqual([40, 80, 120, 128]);
      const controller = new AbortController();
      const run = gpuBackend.tsenor(batch, 2, 'exact', DEFAULT_TSENOR_OPTIONS, {
        signal: controller.signal,
        onProgress: () => controller.abort(),
      });
      await expect(run).rejects.toMatchObject({ code: 'E_ABORTED' });
    } finally {
      configureGpu({ entriesPerLaunch: 1 << 20 });
    }
  });

  it("the public API with backend 'gpu': same standard and greedy masks as the reference, tsenor close", async () => {
    const x = absGaussianMatrix(48, 64, 31);
    const std = await standardMask(x, { n: 2, m: 4, backend: 'gpu' });
    expect(std.backend).toBe('gpu');
    expect(std.mask).toEqual((await standardMask(x, { n: 2, m: 4, backend: 'reference' })).mask);
    const greedy = await transposableMask(x, { n: 4, m: 8, method: 'greedy', backend: 'gpu' });
    expect(greedy.mask).toEqual((await transposableMask(x, { n: 4, m: 8, method: 'greedy', backend: 'reference' })).mask);
    const ours = await transposableMask(x, { n: 8, m: 16, method: 'tsenor', backend: 'gpu', certify: true });
    const ref = await transposableMask(x, { n: 8, m: 16, method: 'tsenor', backend: 'reference' });
    expect(ours.backend).toBe('gpu');
    expect(Math.abs(ours.objective - ref.objective) / ref.objective).toBeLessThanOrEqual(5e-4);
    expect(ours.gap).toBeGreaterThanOrEqual(0);
  });

  it('releases the device when idle and starts it again, with the same results (garbage collected between)', async () => {
    // Dropping a Dawn instance crashed or hung Node (runtime.ts keeps them); collect between runs.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const batch = batchOf(absGaussianMatrix(32, 32, 41), 8);
    const first = await gpuBackend.greedy(batch, 4, 'exact', {});
    for (let k = 0; k < 4; k++) {
      await new Promise((resolve) => setTimeout(resolve, GPU_IDLE_RELEASE_MS + 100));
      gc();
      expect(await gpuBackend.greedy(batch, 4, 'exact', {})).toEqual(first);
    }
    await releaseGpu();
    expect(await gpuBackend.greedy(batch, 4, 'exact', {})).toEqual(first);
  });
});
