// The conformance suite: written once, run against every backend that is available here. Each kernel a
// backend implements itself is checked against the reference backend (the spec) by the contract that
// KERNEL_CONTRACTS states for it; kernels a backend lacks must fall back and be reported as such.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import '../../src/backends/all.js';
import { releaseGpu } from '../../src/backends/gpu.js';
import { getKernel, KERNEL_CONTRACTS, listBackends, runKernel, type KernelName } from '../../src/backends/registry.js';
import { DEFAULT_TSENOR_OPTIONS } from '../../src/core/maskOptions.js';
import { gatherTiles, maskedSum, scatterTiles, type Matrix } from '../../src/core/matrix.js';
import type { BackendName, ExactSolution, Fill, TileBatch, TransposableMethod, TsenorOptions } from '../../src/core/types.js';
import { standardMask, transposableMask } from '../../src/masks.js';
import { recomputedUpperBound, relativeGap, tileUpperBound } from '../../src/reference/dualBound.js';
import { checkTransposable } from '../../src/verify/validity.js';
import { absGaussianMatrix, columnScaledMatrix, gaussianMatrix, tiedMatrix } from '../support/random.js';
import { PATTERNS, tileBatchArb, type ValueKind } from '../support/tiles.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// The wasm kernels are a build output (git-ignored): compile them when this checkout has none yet.
if (!['build/nmsparse.wasm', 'build/nmsparse-threads.wasm'].every((f) => existsSync(ROOT + f))) {
  execFileSync(process.execPath, [ROOT + 'scripts/build-wasm.mjs'], { stdio: 'inherit' });
}

const FILLS: Fill[] = ['exact', 'atMost'];
const ALL_KINDS: ValueKind[] = ['gaussian', 'ties', 'zeros', 'huge', 'positive'];
const METHODS: TransposableMethod[] = ['exact', 'greedy', 'tsenor'];

const infos = await listBackends({ probe: true });
for (const b of infos) if (!b.available) console.warn(`conformance suite SKIPPED for ${b.name}: ${b.reason}`);
const available = infos.filter((b) => b.available).map((b) => b.name);
afterAll(releaseGpu);

/** The reference implementation of a kernel: the spec every backend is compared with. */
function spec<K extends KernelName>(kernel: K) {
  const run = getKernel(kernel, 'reference');
  if (!run) throw new Error(`the reference backend lacks ${kernel}`);
  return run;
}

function expectValid(batch: TileBatch, n: number, fill: Fill, mask: Uint8Array): void {
  const report = checkTransposable(mask, batch.count * batch.m, batch.m, n, batch.m, fill);
  expect(report.violationCount, JSON.stringify(report.violations)).toBe(0);
}

/** The exact solution is certified optimal per tile by its own potentials, and its summed bound is the recomputed one. */
function expectCertified(batch: TileBatch, n: number, fill: Fill, solution: ExactSolution): void {
  const size = batch.m * batch.m;
  for (let t = 0; t < batch.count; t++) {
    const objective = maskedSum(batch.tiles.subarray(t * size, (t + 1) * size), solution.mask.subarray(t * size, (t + 1) * size));
    const ub = tileUpperBound(batch.tiles, t, batch.m, n, fill, solution.u, solution.v);
    expect(Number.isFinite(ub)).toBe(true);
    expect(relativeGap(ub, objective)).toBeLessThanOrEqual(1e-9);
  }
  const recomputed = recomputedUpperBound(batch, n, fill, solution);
  expect(solution.upperBound ?? recomputed).toBe(recomputed);
}

function close(a: number, b: number, rel: number): boolean {
  return Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b), 1e-300);
}

/** Σ|x| of a batch: TSENOR objectives of mixed-sign tiles compare on this scale. */
function magnitude(values: Float32Array): number {
  let s = 0;
  for (const x of values) s += Math.abs(x);
  return s;
}

/** Largest |a − b| over 4-groups, relative to each group's largest |z|. */
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

const proxValue = fc.oneof(fc.constantFrom(0, 1, -1, 0.5, -0.5), fc.double({ min: -2, max: 2, noNaN: true }).map(Math.fround));
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

/** A matrix of whole M×M tiles: signed Gaussian, |Gaussian|, small tied integers or huge values. */
const matrixArb = fc
  .record({
    pattern: fc.constantFrom(...PATTERNS, [3, 5] as const, [7, 12] as const),
    tileRows: fc.integer({ min: 1, max: 3 }),
    tileCols: fc.integer({ min: 1, max: 4 }),
    kind: fc.constantFrom('gaussian', 'abs', 'ties', 'huge'),
    seed: fc.integer({ min: 1, max: 1_000_000 }),
  })
  .map(({ pattern: [n, m], tileRows, tileCols, kind, seed }) => {
    const rows = tileRows * m;
    const cols = tileCols * m;
    const x =
      kind === 'ties' ? tiedMatrix(rows, cols, seed) : kind === 'abs' ? absGaussianMatrix(rows, cols, seed) : gaussianMatrix(rows, cols, seed);
    if (kind === 'huge') x.data.forEach((v, k) => (x.data[k] = v * 1e30));
    return { x, n, m };
  });

/** Cheap TSENOR settings for property runs. */
const optionsArb: fc.Arbitrary<TsenorOptions> = fc.record({
  tau: fc.constantFrom(1, 20, 50, 1000),
  iterations: fc.integer({ min: 1, max: 12 }),
  stages: fc.integer({ min: 1, max: 3 }),
  localSearchSteps: fc.integer({ min: 0, max: 8 }),
});

describe.each(available)('%s backend conformance', (name: BackendName) => {
  // The software GPU in CI is slow: fewer runs there, the same properties.
  const runs = (k: number): number => (name === 'gpu' ? Math.max(5, Math.ceil(k / 8)) : k);
  const own = <K extends KernelName>(kernel: K) => getKernel(kernel, name);

  it.runIf(own('standardMask'))(`standardMask: ${KERNEL_CONTRACTS.standardMask}`, async () => {
    const run = own('standardMask')!;
    await fc.assert(
      fc.asyncProperty(tileBatchArb(ALL_KINDS, 3), fc.integer({ min: 1, max: 5 }), async ({ batch }, rows) => {
        const m = batch.m;
        const cols = (batch.count * m * m) / rows;
        if (!Number.isInteger(cols / m)) return;
        const scores: Matrix = { rows, cols, data: batch.tiles };
        for (let n = 1; n < m; n++) {
          expect(await run({ scores, n, m }, {})).toEqual(await spec('standardMask')({ scores, n, m }, {}));
        }
      }),
      { seed: 42, numRuns: runs(80) },
    );
  });

  it.runIf(own('exactTiles'))(`exactTiles: ${KERNEL_CONTRACTS.exactTiles}`, async () => {
    const run = own('exactTiles')!;
    await fc.assert(
      fc.asyncProperty(tileBatchArb(ALL_KINDS, 4), fc.constantFrom(...FILLS), async ({ batch, n }, fill) => {
        const ours = await run({ batch, n, fill }, {});
        const ref = await spec('exactTiles')({ batch, n, fill }, {});
        expectValid(batch, n, fill, ours.mask);
        expectCertified(batch, n, fill, ours);
        const a = maskedSum(batch.tiles, ours.mask);
        const b = maskedSum(batch.tiles, ref.mask);
        expect(close(a, b, 1e-9), `${a} vs ${b}`).toBe(true);
      }),
      { seed: 42, numRuns: runs(400) },
    );
    for (const [n, m] of [[16, 32], [3, 5], [1, 8], [7, 12], [2, 6]] as const) {
      for (const fill of FILLS) {
        const batch: TileBatch = { tiles: gaussianMatrix(2 * m, 3 * m, 1000 + n * m).data, count: 6, m };
        const ours = await run({ batch, n, fill }, {});
        expectValid(batch, n, fill, ours.mask);
        expectCertified(batch, n, fill, ours);
        const ref = await spec('exactTiles')({ batch, n, fill }, {});
        expect(close(maskedSum(batch.tiles, ours.mask), maskedSum(batch.tiles, ref.mask), 1e-9)).toBe(true);
      }
    }
  });

  it.runIf(own('greedyTiles'))(`greedyTiles: ${KERNEL_CONTRACTS.greedyTiles}`, async () => {
    const run = own('greedyTiles')!;
    await fc.assert(
      fc.asyncProperty(tileBatchArb(ALL_KINDS, 4), fc.constantFrom(...FILLS), async ({ batch, n }, fill) => {
        const ours = await run({ batch, n, fill }, {});
        expectValid(batch, n, fill, ours);
        expect(ours).toEqual(await spec('greedyTiles')({ batch, n, fill }, {}));
      }),
      { seed: 42, numRuns: runs(400) },
    );
  });

  it.runIf(own('tsenorTiles'))(`tsenorTiles: ${KERNEL_CONTRACTS.tsenorTiles}`, async () => {
    const run = own('tsenorTiles')!;
    await fc.assert(
      fc.asyncProperty(tileBatchArb(ALL_KINDS, 5), fc.constantFrom(...FILLS), async ({ batch, n }, fill) => {
        const options = DEFAULT_TSENOR_OPTIONS;
        const ours = await run({ batch, n, fill, options }, {});
        expectValid(batch, n, fill, ours);
        const a = maskedSum(batch.tiles, ours);
        const b = maskedSum(batch.tiles, await spec('tsenorTiles')({ batch, n, fill, options }, {}));
        expect(Math.abs(a - b), `${a} vs ${b}`).toBeLessThanOrEqual(5e-4 * magnitude(batch.tiles) + 1e-300);
      }),
      { seed: 42, numRuns: runs(300) },
    );
    // Valid for every setting, and finite for extreme τ and dynamic range.
    await fc.assert(
      fc.asyncProperty(tileBatchArb(ALL_KINDS, 3), fc.constantFrom(...FILLS), optionsArb, async ({ batch, n }, fill, options) => {
        expectValid(batch, n, fill, await run({ batch, n, fill, options }, {}));
      }),
      { seed: 43, numRuns: runs(80) },
    );
    const wide = absGaussianMatrix(32, 32, 5);
    wide.data.forEach((v, k) => (wide.data[k] = v * 10 ** ((k % 9) * 8 - 36)));
    for (const tau of [1e-3, 1e4, 1e12, 1e30]) {
      for (const fill of FILLS) {
        const batch: TileBatch = { tiles: gatherTiles(wide, 8), count: 16, m: 8 };
        expectValid(batch, 4, fill, await run({ batch, n: 4, fill, options: { tau, iterations: 6, stages: 2, localSearchSteps: 4 } }, {}));
      }
    }
    // Gaussian and column-scaled matrices at the default settings: never more than 0.05% below the reference.
    for (const [x, n, m] of [
      [gaussianMatrix(64, 64, 93), 8, 16],
      [gaussianMatrix(64, 64, 109), 16, 32],
      [absGaussianMatrix(32, 64, 12), 2, 4],
      [columnScaledMatrix(64, 64, 13), 8, 16],
    ] as const) {
      for (const fill of FILLS) {
        const batch: TileBatch = { tiles: gatherTiles(x, m), count: (x.rows / m) * (x.cols / m), m };
        const ours = await run({ batch, n, fill, options: DEFAULT_TSENOR_OPTIONS }, {});
        expectValid(batch, n, fill, ours);
        const a = maskedSum(batch.tiles, ours);
        const b = maskedSum(batch.tiles, await spec('tsenorTiles')({ batch, n, fill, options: DEFAULT_TSENOR_OPTIONS }, {}));
        expect(a, `${n}:${m} ${fill}`).toBeGreaterThanOrEqual(b - 5e-4 * Math.abs(b));
      }
    }
  });

  it(`transposableMatrix: ${KERNEL_CONTRACTS.transposableMatrix}`, async () => {
    await fc.assert(
      fc.asyncProperty(matrixArb, fc.constantFrom(...METHODS), fc.constantFrom(...FILLS), async ({ x, n, m }, method, fill) => {
        const args = { scores: x, n, m, method, fill, tsenor: DEFAULT_TSENOR_OPTIONS };
        const ours = (await runKernel('transposableMatrix', name, 0, args, {})).value;
        // The same tile kernels, run through the dispatcher on this backend (with its fallbacks).
        const batch: TileBatch = { tiles: gatherTiles(x, m), count: (x.rows / m) * (x.cols / m), m };
        let tileMask: Uint8Array;
        let upperBound: number | undefined;
        if (method === 'exact') {
          const solution = (await runKernel('exactTiles', name, 0, { batch, n, fill }, {})).value;
          tileMask = solution.mask;
          upperBound = recomputedUpperBound(batch, n, fill, solution);
        } else if (method === 'greedy') {
          tileMask = (await runKernel('greedyTiles', name, 0, { batch, n, fill }, {})).value;
        } else {
          tileMask = (await runKernel('tsenorTiles', name, 0, { batch, n, fill, options: DEFAULT_TSENOR_OPTIONS }, {})).value;
        }
        expect(ours.mask).toEqual(scatterTiles(tileMask, x.rows, x.cols, m));
        expect(close(ours.objective, maskedSum(batch.tiles, tileMask), 1e-12)).toBe(true);
        expect(ours.upperBound).toBe(upperBound);
        if (method === 'exact') expect(relativeGap(ours.upperBound!, ours.objective)).toBe(0);
      }),
      { seed: 42, numRuns: runs(120) },
    );
  });

  it.runIf(own('prox24'))(`prox24: ${KERNEL_CONTRACTS.prox24}`, async () => {
    const run = own('prox24')!;
    await fc.assert(
      fc.asyncProperty(proxGroups, proxLambda, async (z, lambda) => {
        const scaled = lambda / Math.max(1e-30, ...Array.from(z, Math.abs));
        for (const l of [lambda, scaled]) {
          const ours = await run({ z, lambda: l }, {});
          expect(ours.every(Number.isFinite)).toBe(true);
          expect(proxDifference(z, ours, await spec('prox24')({ z, lambda: l }, {}))).toBeLessThanOrEqual(1e-6);
        }
      }),
      { seed: 42, numRuns: runs(500) },
    );
  });

  it.runIf(own('prox24'))('prox24 into a given out: the same values, written there and returned, z untouched', async () => {
    const run = own('prox24')!;
    await fc.assert(
      fc.asyncProperty(proxGroups, proxLambda, async (z, lambda) => {
        const before = z.slice();
        const out = new Float32Array(z.length).fill(Number.NaN);
        const returned = await run({ z, lambda, out }, {});
        expect(returned).toBe(out);
        expect(out).toEqual(await run({ z, lambda }, {}));
        expect(z).toEqual(before);
      }),
      { seed: 43, numRuns: runs(100) },
    );
  });

  it('the public API on this backend: the reference masks, and every kernel reported where it ran', async () => {
    const x = absGaussianMatrix(48, 64, 31);
    const std = await standardMask(x, { n: 2, m: 4, backend: name });
    expect(std.mask).toEqual((await standardMask(x, { n: 2, m: 4, backend: 'reference' })).mask);
    // The objective, recomputed here: in each row four partial sums of the kept scores by column mod 4,
    // combined as (p0 + p1) + (p2 + p3); then the rows in order. Scores from 1e-20 to 1e20, so that f64
    // sums of them round and the order shows (of similar f32 values they are exact in any order).
    const wide = gaussianMatrix(24, 36, 77);
    wide.data.forEach((v, k) => (wide.data[k] = Math.exp(11 * Math.max(-4, Math.min(4, v)))));
    const got = await standardMask(wide, { n: 2, m: 3, backend: name });
    let objective = 0;
    for (let r = 0; r < wide.rows; r++) {
      const [p0, p1, p2, p3] = [0, 1, 2, 3].map((mod) => {
        let sum = 0;
        for (let c = mod; c < wide.cols; c += 4) if (got.mask[r * wide.cols + c] === 1) sum += wide.data[r * wide.cols + c];
        return sum;
      }) as [number, number, number, number];
      objective += p0 + p1 + (p2 + p3);
    }
    expect(got.objective).toBe(objective);
    let sequential = 0;
    for (let k = 0; k < wide.data.length; k++) if (got.mask[k] === 1) sequential += wide.data[k];
    expect(sequential).not.toBe(objective); // the check can tell the orders apart
    expect(std.backend).toBe(own('standardMask') ? name : 'wasm');
    for (const method of METHODS) {
      const ours = await transposableMask(x, { n: 4, m: 8, method, backend: name, certify: true });
      const ref = await transposableMask(x, { n: 4, m: 8, method, backend: 'reference', certify: true });
      if (method === 'greedy') expect(ours.mask).toEqual(ref.mask);
      if (method === 'exact') expect(close(ours.objective, ref.objective, 1e-9)).toBe(true);
      else expect(Math.abs(ours.objective - ref.objective)).toBeLessThanOrEqual(5e-4 * ref.objective);
      expect(ours.gap).toBeGreaterThanOrEqual(0);
      const tileKernel = `${method}Tiles` as KernelName;
      // The solve is reported under the backend that ran it: this one, or the fallback it handed the kernel to.
      expect(ours.backend).toBe(own(tileKernel) ? name : 'wasm');
      expect(ours.kernels.transposableMatrix).toBe(name);
    }
  });
});
