import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import '../../src/backends/all.js';
import { getKernel, listBackends, resolveBackend, runKernel, type KernelName } from '../../src/backends/registry.js';
import { configureGpu, GPU_IDLE_RELEASE_MS, releaseGpu } from '../../src/backends/gpu.js';
import { gatherTiles, type Matrix } from '../../src/core/matrix.js';
import { DEFAULT_TSENOR_OPTIONS } from '../../src/core/maskOptions.js';
import { absGaussianMatrix } from '../support/random.js';
import type { TileBatch } from '../../src/core/types.js';

// The gpu backend's own behaviour (selection, settings, launches, device release); its kernels are
// checked against the reference by the conformance suite.

// Probed once: starts the GPU (a software one in CI) and checks a kernel's result.
const gpu = (await listBackends({ probe: true })).find((b) => b.name === 'gpu') ?? { available: false, reason: 'not registered' };
const onGpu = gpu.available ? `on ${gpu.reason}` : `SKIPPED, no GPU: ${gpu.reason}`;
if (!gpu.available) console.warn(`gpu backend tests SKIPPED: ${gpu.reason}`);

afterAll(releaseGpu);

function gpuKernel<K extends KernelName>(kernel: K) {
  const run = getKernel(kernel, 'gpu');
  if (!run) throw new Error(`gpu lacks ${kernel}`);
  return run;
}

function batchOf(x: Matrix, m: number): TileBatch {
  return { tiles: gatherTiles(x, m), count: (x.rows / m) * (x.cols / m), m };
}

describe('gpu backend selection', () => {
  it("backend 'gpu' resolves exactly when the probe ran a kernel, else E_BACKEND with the reason", async () => {
    if (gpu.available) {
      expect(await resolveBackend('gpu')).toBe('gpu');
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

  it('implements standard, greedy and tsenor itself; exact and prox24 fall back to wasm and are reported so', async () => {
    const info = (await listBackends({ probe: true })).find((x) => x.name === 'gpu');
    expect([...(info?.kernels ?? [])].sort()).toEqual(['greedyTiles', 'standardMask', 'transposableMatrix', 'tsenorTiles']);
    const batch = batchOf(absGaussianMatrix(16, 16, 3), 8);
    const exact = await runKernel('exactTiles', 'gpu', 0, { batch, n: 4, fill: 'exact' }, {});
    expect(exact.backend).toBe('wasm');
    const prox = await runKernel('prox24', 'gpu', 0, { z: Float32Array.from([3, -1, 0.5, 2]), lambda: 0.1 }, {});
    expect(prox.backend).toBe('wasm');
  });

  it('reports progress per launch, honours an abort, and gives the same masks whatever the launch size', async () => {
    const batch = batchOf(absGaussianMatrix(32, 64, 21), 4);
    const whole = await gpuKernel('greedyTiles')({ batch: batch, n: 2, fill: 'exact' }, {});
    configureGpu({ entriesPerLaunch: 16 * 40 });
    try {
      const seen: number[] = [];
      const split = await gpuKernel('greedyTiles')({ batch: batch, n: 2, fill: 'exact' }, { onProgress: (p) => seen.push(p.done) });
      expect(split).toEqual(whole);
      expect(seen).toEqual([40, 80, 120, 128]);
      const controller = new AbortController();
      const run = gpuKernel('tsenorTiles')({ batch: batch, n: 2, fill: 'exact', options: DEFAULT_TSENOR_OPTIONS }, {
        signal: controller.signal,
        onProgress: () => controller.abort(),
      });
      await expect(run).rejects.toMatchObject({ code: 'E_ABORTED' });
    } finally {
      configureGpu({ entriesPerLaunch: 1 << 20 });
    }
  });

  it('releases the device when idle and starts it again, with the same results (garbage collected between)', async () => {
    // Dropping a Dawn instance crashed or hung Node (runtime.ts keeps them); collect between runs.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const batch = batchOf(absGaussianMatrix(32, 32, 41), 8);
    const first = await gpuKernel('greedyTiles')({ batch: batch, n: 4, fill: 'exact' }, {});
    for (let k = 0; k < 4; k++) {
      await new Promise((resolve) => setTimeout(resolve, GPU_IDLE_RELEASE_MS + 100));
      gc();
      expect(await gpuKernel('greedyTiles')({ batch: batch, n: 4, fill: 'exact' }, {})).toEqual(first);
    }
    await releaseGpu();
    expect(await gpuKernel('greedyTiles')({ batch: batch, n: 4, fill: 'exact' }, {})).toEqual(first);
  });
});
