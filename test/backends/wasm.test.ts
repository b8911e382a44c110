// The wasm backend's own behaviour: registration, the worker pool (any size gives the inline results),
// abort, settings, and the row-major band path. Kernel results against the reference are the
// conformance suite's (conformance.test.ts).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { getKernel, listBackends, resolveBackend, type KernelName } from '../../src/backends/registry.js';
import '../../src/backends/all.js';
import { configureWasm, warmUpWasm } from '../../src/backends/wasm.js';
import { WorkerPool } from '../../src/backends/workerPool.js';
import { recomputedUpperBound, relativeGap } from '../../src/reference/dualBound.js';
import { transposableMask } from '../../src/masks.js';
import { gatherTiles, maskedSum, scatterTiles, type Matrix } from '../../src/core/matrix.js';
import { DEFAULT_TSENOR_OPTIONS } from '../../src/core/maskOptions.js';
import { PATTERNS } from '../support/tiles.js';
import { absGaussianMatrix, gaussianMatrix, mulberry32, tiedMatrix } from '../support/random.js';
import type { Fill, ExactSolution, TileBatch, TransposableMethod } from '../../src/core/types.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FILLS: Fill[] = ['exact', 'atMost'];

beforeAll(() => {
  // The kernels are a build output (git-ignored): compile them when this checkout has none yet.
  const built = ['build/nmsparse.wasm', 'build/nmsparse-threads.wasm'].every((f) => existsSync(ROOT + f));
  if (!built) execFileSync(process.execPath, [ROOT + 'scripts/build-wasm.mjs'], { stdio: 'inherit' });
}, 120_000);

function kernelOf(backend: 'wasm' | 'reference') {
  return <K extends KernelName>(kernel: K) => {
    const run = getKernel(kernel, backend);
    if (!run) throw new Error(`${backend} lacks ${kernel}`);
    return run;
  };
}
const wasm = kernelOf('wasm');
const reference = kernelOf('reference');

function objectivesClose(a: number, b: number, rel: number): boolean {
  return Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b), 1e-300);
}

describe('wasm backend', () => {
  it('is registered and available, implements every kernel itself, and auto picks it', async () => {
    const info = (await listBackends()).find((b) => b.name === 'wasm');
    expect(info?.available, info?.reason).toBe(true);
    expect([...(info?.kernels ?? [])].sort()).toEqual(
      [
        'cholesky',
        'exactTiles',
        'gemm',
        'gram',
        'greedyTiles',
        'obsBlock',
        'obsSweep',
        'prox24',
        'refitRows',
        'spdInverse',
        'standardMask',
        'transposableMatrix',
        'triangularInverse',
        'tsenorTiles',
      ],
    );
    expect(await resolveBackend('auto')).toBe('wasm');
  });
});

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
  it('gives the same groups on the worker pool as inline', async () => {
    const z = gaussianMatrix(64, 256, 11).data;
    await configureWasm({ threads: 1 });
    const inline = await wasm('prox24')({ z: z, lambda: 0.3 }, {});
    await configureWasm({ threads: 2, minParallelUnits: 0 });
    const pooled = await wasm('prox24')({ z: z, lambda: 0.3 }, {});
    await configureWasm({ threads: 2, minParallelUnits: 4096 });
    expect(pooled).toEqual(inline);
    expect(proxDifference(z, inline, await reference('prox24')({ z: z, lambda: 0.3 }, {}))).toBeLessThanOrEqual(1e-6);
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
        await wasm('exactTiles')({ batch: batch, n: 4, fill: 'exact' }, {
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
      exact: await wasm('exactTiles')({ batch: batch, n: 3, fill: 'exact' }, {}),
      greedy: await wasm('greedyTiles')({ batch: batch, n: 3, fill: 'atMost' }, {}),
      tsenor: await wasm('tsenorTiles')({ batch: batch, n: 3, fill: 'exact', options: DEFAULT_TSENOR_OPTIONS }, {}),
      standard: await wasm('standardMask')({ scores: x, n: 3, m: 8 }, {}),
      prox: await wasm('prox24')({ z: x.data, lambda: 0.2 }, {}),
    });
    await configureWasm({ threads: 1 });
    const inline = await run();
    await configureWasm({ threads: 3, minParallelUnits: 0 });
    const pooled = await run();
    await configureWasm({ threads: 2, minParallelUnits: 4096 });
    expect(pooled).toEqual(inline);
    expect(inline.greedy).toEqual(await reference('greedyTiles')({ batch: batch, n: 3, fill: 'atMost' }, {}));
    expect(inline.standard).toEqual(await reference('standardMask')({ scores: x, n: 3, m: 8 }, {}));
  });

  it('runs a small inline batch in one piece (no event-loop trips), a larger one in several', async () => {
    await configureWasm({ threads: 1 });
    // A SparseGPT slab: 1024 rows × 4 columns is 16 work units, under the 32 of one inline piece.
    const slab = absGaussianMatrix(1024, 4, 3);
    const small: number[] = [];
    await wasm('standardMask')({ scores: slab, n: 2, m: 4 }, { onProgress: (p) => small.push(p.done) });
    expect(small).toEqual([1024]);
    const x = absGaussianMatrix(256, 256, 9);
    const tiles: number[] = [];
    await wasm('exactTiles')({ batch: { tiles: x.data, count: 256, m: 16 }, n: 8, fill: 'exact' }, { onProgress: (p) => tiles.push(p.done) });
    expect(tiles.length).toBeGreaterThan(1);
    expect(tiles.at(-1)).toBe(256);
    await configureWasm({ threads: 2, minParallelUnits: 4096 });
  });

  it('stops on abort, inline and on the pool', async () => {
    const x = absGaussianMatrix(256, 256, 9);
    const batch: TileBatch = { tiles: x.data, count: 256, m: 16 };
    for (const threads of [1, 2]) {
      await configureWasm({ threads, minParallelUnits: 0 });
      const controller = new AbortController();
      const run = wasm('exactTiles')({ batch: batch, n: 8, fill: 'exact' }, {
        signal: controller.signal,
        onProgress: () => controller.abort(),
      });
      await expect(run).rejects.toMatchObject({ code: 'E_ABORTED' });
      const aborted = AbortSignal.abort();
      await expect(wasm('exactTiles')({ batch: batch, n: 8, fill: 'exact' }, { signal: aborted })).rejects.toMatchObject({
        code: 'E_ABORTED',
      });
    }
    await configureWasm({ threads: 2, minParallelUnits: 4096 });
  });

  it('warmUpWasm starts the pool once, ahead of the first call, which then reuses it (none on one thread)', async () => {
    const started = vi.spyOn(WorkerPool, 'create');
    try {
      await configureWasm({ threads: 3, minParallelUnits: 4096 });
      expect(started).not.toHaveBeenCalled();
      expect(await warmUpWasm()).toEqual({ threads: 3, minParallelUnits: 4096 });
      expect(started).toHaveBeenCalledTimes(1);
      expect(started.mock.calls[0]?.[0]).toBe(3);
      await warmUpWasm();
      const scores = absGaussianMatrix(256, 4096, 3); // 4096 units: on the pool
      await wasm('standardMask')({ scores, n: 2, m: 4 }, {});
      expect(started).toHaveBeenCalledTimes(1);
      await configureWasm({ threads: 1 });
      await warmUpWasm();
      expect(started).toHaveBeenCalledTimes(1);
    } finally {
      started.mockRestore();
      await configureWasm({ threads: 2, minParallelUnits: 4096 });
    }
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
    const solution = await wasm('exactTiles')({ batch: batch, n: n, fill: fill }, {});
    tileMask = solution.mask;
    upperBound = recomputedUpperBound(batch, n, fill, solution);
  } else {
    tileMask =
      method === 'greedy'
        ? await wasm('greedyTiles')({ batch: batch, n: n, fill: fill }, {})
        : await wasm('tsenorTiles')({ batch: batch, n: n, fill: fill, options: DEFAULT_TSENOR_OPTIONS }, {});
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
            const ours = await wasm('transposableMatrix')({ scores: x, n, m, method, fill, tsenor: DEFAULT_TSENOR_OPTIONS }, {});
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

describe('wasm greedy repair: the swap search', () => {
  // The kernel takes a shortcut (assembly/localSearch.ts swapSearchExact) when every sum of three
  // scores of a tile is exact in f64: nonzero exponents spanning at most 27 octaves. Both sides of
  // that line must give the reference's masks bit for bit.

  /** `count` tiles of ±(1 + u)·2^e, e uniform in [low, low + span], full 24-bit mantissas. */
  function spreadTiles(m: number, count: number, low: number, span: number, seed: number): TileBatch {
    const uniform = mulberry32(seed);
    const tiles = new Float32Array(count * m * m);
    for (let k = 0; k < tiles.length; k++) {
      const e = low + Math.floor(uniform() * (span + 1));
      const sign = uniform() < 0.5 ? -1 : 1;
      tiles[k] = Math.fround(sign * (1 + uniform()) * 2 ** e);
    }
    return { tiles, count, m };
  }

  async function expectReferenceMasks(batch: TileBatch, n: number): Promise<void> {
    for (const fill of FILLS) {
      expect(await wasm('greedyTiles')({ batch, n, fill }, {})).toEqual(await reference('greedyTiles')({ batch, n, fill }, {}));
    }
  }

  it('Gaussian tiles (the shortcut) of every pattern', async () => {
    for (const [n, m] of [...PATTERNS, [3, 5], [7, 12]] as const) {
      const count = Math.max(8, Math.ceil(4096 / (m * m)));
      const x = gaussianMatrix(count * m, m, 1000 + m * 31 + n);
      await expectReferenceMasks({ tiles: x.data, count, m }, n);
    }
  });

  it('exponents spanning 27 octaves (the shortcut, at its limit) and 28 to 60 (the general search)', async () => {
    for (const [n, m] of [[2, 4], [3, 5], [4, 8], [8, 16], [16, 32]] as const) {
      const count = Math.max(16, Math.ceil(8192 / (m * m)));
      for (const span of [27, 28, 40, 60]) {
        for (const low of [-149, -60, 0, 40]) await expectReferenceMasks(spreadTiles(m, count, low, span, span * 1000 + m - low), n);
      }
    }
  });

  it('a 2:4 tile whose gains round in f64 (36 octaves): the general search, no out-of-tile write', async () => {
    // Found by search: a shortcut here would compute a gain 1 ulp away from the reference's and
    // then find no column j′ that gives it.
    const tile = [
      26173.03515625, 13458.3583984375, 0.02924037165939808, 0.007383868098258972, 0.000004533102583081927, 4.328983306884766,
      0.000027016889362130314, 9.979022026062012, 8611.8876953125, 3316.736328125, 156454.28125, 4485.25927734375,
      0.003063670825213194, 13055.123046875, 124057.0859375, 294.4859313964844,
    ];
    const batch: TileBatch = { tiles: Float32Array.from([...tile, ...tile]), count: 2, m: 4 };
    const ours = await wasm('greedyTiles')({ batch, n: 2, fill: 'exact' }, {});
    expect(ours).toEqual(await reference('greedyTiles')({ batch, n: 2, fill: 'exact' }, {}));
    expect(ours.subarray(16)).toEqual(ours.subarray(0, 16));
  });
});
