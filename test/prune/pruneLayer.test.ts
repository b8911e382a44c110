import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NmsparseError } from '../../src/core/errors.js';
import { certify } from '../../src/verify/certify.js';
import { transposableMask } from '../../src/masks.js';
import { pruneLayer } from '../../src/prune/pruneLayer.js';
import { projectOntoPattern } from '../../src/prune/alps.js';
import type { LayerMethod, PruneLayerOptions, PruneResult } from '../../src/prune/pruneOptions.js';
import { plainHessian, scaledLayer } from '../support/pruneLayers.js';

type Layer = ReturnType<typeof scaledLayer>;

/** ‖(W − W₀)Xᵀ‖²/‖W₀Xᵀ‖² in f64 from an independently computed H. */
function lossOf(layer: Layer, h: Float64Array, w: Float32Array): number {
  const { rows, cols, data: w0 } = layer.weights;
  let num = 0;
  let den = 0;
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < cols; i++) {
      const di = (w[r * cols + i] as number) - (w0[r * cols + i] as number);
      for (let j = 0; j < cols; j++) {
        const hij = h[i * cols + j] as number;
        num += di * hij * ((w[r * cols + j] as number) - (w0[r * cols + j] as number));
        den += (w0[r * cols + i] as number) * hij * (w0[r * cols + j] as number);
      }
    }
  }
  return num / den;
}

/** Plain Gauss–Jordan inverse (f64, partial pivoting). */
function inverse(a: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]!) > Math.abs(m[pivot * n + c]!)) pivot = r;
    for (let k = 0; k < n; k++) {
      [m[c * n + k], m[pivot * n + k]] = [m[pivot * n + k]!, m[c * n + k]!];
      [inv[c * n + k], inv[pivot * n + k]] = [inv[pivot * n + k]!, inv[c * n + k]!];
    }
    const d = m[c * n + c]!;
    for (let k = 0; k < n; k++) {
      m[c * n + k] = m[c * n + k]! / d;
      inv[c * n + k] = inv[c * n + k]! / d;
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r * n + c]!;
      for (let k = 0; k < n; k++) {
        m[r * n + k] = m[r * n + k]! - f * m[c * n + k]!;
        inv[r * n + k] = inv[r * n + k]! - f * inv[c * n + k]!;
      }
    }
  }
  return inv;
}

/** U upper with A = UᵀU (Cholesky of A, transposed), plain loops. */
function upperCholesky(a: Float64Array, n: number): Float64Array {
  const u = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < i; k++) s -= u[k * n + i]! * u[k * n + j]!;
      u[i * n + j] = i === j ? Math.sqrt(s) : s / u[i * n + i]!;
    }
  }
  return u;
}

/**
 * SparseGPT as one unblocked OBS sweep in f64 (the paper's Algorithm 1 with block size = all columns):
 * the slab masks come from the same rule (N largest w²/U_jj² per row, or the exact transposable solver
 * on the slab), every update is applied at once.
 */
async function plainObs(layer: Layer, n: number, m: number, transposable: boolean, damp: number) {
  const { rows, cols } = layer.weights;
  const h = plainHessian(layer.inputs);
  const w = Float64Array.from(layer.weights.data);
  // Dead inputs (H_jj = 0), as the paper's code: weights zeroed, H_jj = 1.
  for (let j = 0; j < cols; j++) {
    if (h[j * cols + j] !== 0) continue;
    h[j * cols + j] = 1;
    for (let r = 0; r < rows; r++) w[r * cols + j] = 0;
  }
  let trace = 0;
  for (let i = 0; i < cols; i++) trace += h[i * cols + i]!;
  for (let i = 0; i < cols; i++) h[i * cols + i] = h[i * cols + i]! + (damp * trace) / cols;
  const u = upperCholesky(inverse(h, cols), cols);
  const mask = new Uint8Array(rows * cols);
  for (let j = 0; j < cols; j++) {
    if (j % m === 0) {
      const scores = new Float32Array(rows * m);
      for (let r = 0; r < rows; r++) for (let t = 0; t < m; t++) scores[r * m + t] = w[r * cols + j + t]! ** 2 / u[(j + t) * cols + j + t]! ** 2;
      let slab: Uint8Array;
      if (transposable) {
        slab = (await transposableMask({ rows, cols: m, data: scores }, { n, m, method: 'exact', backend: 'reference' })).mask;
      } else {
        slab = new Uint8Array(rows * m);
        for (let r = 0; r < rows; r++) {
          const order = Array.from({ length: m }, (_, t) => t).sort((a, b) => scores[r * m + b]! - scores[r * m + a]! || a - b);
          for (const t of order.slice(0, n)) slab[r * m + t] = 1;
        }
      }
      for (let r = 0; r < rows; r++) for (let t = 0; t < m; t++) mask[r * cols + j + t] = slab[r * m + t]!;
    }
    for (let r = 0; r < rows; r++) {
      if (mask[r * cols + j]) continue;
      const e = w[r * cols + j]! / u[j * cols + j]!;
      for (let t = j; t < cols; t++) w[r * cols + t] = w[r * cols + t]! - e * u[j * cols + t]!;
      w[r * cols + j] = 0;
    }
  }
  return { weights: w, mask };
}

describe('SparseGPT', () => {
  it('equals a plain unblocked OBS sweep (same masks, weights to 1e-5 relative), standard and transposable', async () => {
    const cases = [
      { n: 2, m: 4, transposable: false, rows: 12, cols: 48 },
      { n: 4, m: 8, transposable: true, rows: 16, cols: 40 },
      { n: 1, m: 4, transposable: false, rows: 5, cols: 36 },
      { n: 2, m: 4, transposable: false, rows: 12, cols: 48, dead: true },
      { n: 4, m: 8, transposable: true, rows: 16, cols: 40, dead: true },
    ];
    for (const [k, c] of cases.entries()) {
      const layer = scaledLayer(c.rows, c.cols, 4 * c.cols, 0.8, 0.5, 100 + k);
      // Dead inputs, like an image's blank border: zero in every sample (columns 1, 2, 9 of X).
      if (c.dead) for (let s = 0; s < 4 * c.cols; s++) for (const j of [1, 2, 9]) layer.inputs.data[s * c.cols + j] = 0;
      const want = await plainObs(layer, c.n, c.m, c.transposable, 0.01);
      // A dead input's column of a transposable tile keeps N zeros: tied masks, which the wasm exact
      // solver may break another way than the reference's (its contract); the oracle uses the reference.
      const backends = c.dead && c.transposable ? (['reference'] as const) : (['wasm', 'reference'] as const);
      for (const backend of backends) {
        // Block size 8 (16 for M = 8): several blocks, so the lazy GEMM updates are exercised.
        const got = await pruneLayer(layer.weights, { inputs: layer.inputs }, { ...c, method: 'sparsegpt', blockSize: 8, backend });
        expect(Array.from(got.mask)).toEqual(Array.from(want.mask));
        for (let r = 0; r < c.rows; r++) {
          let scale = 0;
          for (let j = 0; j < c.cols; j++) scale = Math.max(scale, Math.abs(want.weights[r * c.cols + j]!));
          for (let j = 0; j < c.cols; j++) {
            expect(Math.abs(got.weights[r * c.cols + j]! - want.weights[r * c.cols + j]!)).toBeLessThanOrEqual(1e-5 * scale);
          }
        }
      }
    }
  }, 30_000);
});

describe('ALPS', () => {
  it('projects onto the pattern: valid masks that keep the largest squares (standard: per group; transposable: certified optimal)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1e6 }), fc.constantFrom([2, 4], [1, 4], [4, 8]), async (seed, [n, m]) => {
        const { weights } = scaledLayer(8, 16, 1, 0, 0, seed);
        for (const transposable of [false, true]) {
          const pattern = { n: n!, m: m!, transposable, fill: 'exact' as const, maskSolver: 'exact' as const, backend: 'reference' as const };
          const { d, mask } = await projectOntoPattern(weights.data, 8, 16, pattern);
          const squares = weights.data.map((x) => x * x);
          const cert = await certify({ rows: 8, cols: 16, data: squares }, mask, { n: n!, m: m!, transposable });
          expect(cert.valid).toBe(true);
          expect(cert.gap).toBeLessThanOrEqual(1e-6);
          d.forEach((x, i) => expect(x).toBe(mask[i] ? weights.data[i] : 0));
        }
      }),
      { seed: 13, numRuns: 10 },
    );
  });

  it('lowers the loss of its iterate along the iterations, and the refit lowers it further', async () => {
    for (const seed of [1, 2, 3]) {
      const layer = scaledLayer(16, 32, 128, 0.9, 1, seed);
      const r = await pruneLayer(layer.weights, { inputs: layer.inputs }, { n: 2, m: 4, method: 'alps' });
      expect(r.history.length).toBeGreaterThan(1);
      expect(r.history.at(-1)!.loss).toBeLessThan(r.history[0]!.loss);
      expect(r.relativeLoss).toBeLessThanOrEqual(r.history.at(-1)!.loss * (1 + 1e-6));
      for (let i = 1; i < r.history.length; i++) expect(r.history[i]!.lambda).toBeGreaterThan(r.history[i - 1]!.lambda);
    }
  });
});

const METHODS: LayerMethod[] = ['magnitude', 'wanda', 'sparsegpt', 'alps', 'prox'];
const PATTERNS = [
  { n: 2, m: 4, transposable: false },
  { n: 1, m: 4, transposable: false },
  { n: 4, m: 8, transposable: true },
  { n: 2, m: 8, transposable: true, maskSolver: 'tsenor' as const },
  { n: 3, m: 4, transposable: true, maskSolver: 'greedy' as const, fill: 'atMost' as const },
];

describe('every method and pattern', () => {
  const layer = scaledLayer(16, 32, 96, 0.9, 1, 7);
  const h = plainHessian(layer.inputs);

  it('gives weights in the pattern (certified; transposable: every tile), zero off the mask, finite', async () => {
    for (const pattern of PATTERNS) {
      for (const method of METHODS) {
        if (method === 'prox' && (pattern.n !== 2 || pattern.m !== 4 || pattern.transposable)) continue;
        const r = await pruneLayer(layer.weights, { inputs: layer.inputs }, { ...pattern, method });
        const cert = await certify(
          { rows: 16, cols: 32, data: layer.weights.data.map(Math.abs) },
          r.mask,
          { n: pattern.n, m: pattern.m, transposable: pattern.transposable, fill: pattern.fill },
        );
        expect(cert.valid, `${method} ${JSON.stringify(pattern)}`).toBe(true);
        r.weights.forEach((x, i) => {
          expect(Number.isFinite(x)).toBe(true);
          if (!r.mask[i]) expect(x).toBe(0);
        });
        expect(r.relativeLoss).toBeCloseTo(lossOf(layer, h, r.weights), 5);
      }
    }
  }, 30_000);

  it("update 'exact' meets the normal equations on the support: (Ŵ·H)_rj = (W₀·H)_rj for kept j", async () => {
    const { rows, cols, data: w0 } = layer.weights;
    for (const method of ['wanda', 'sparsegpt', 'alps'] as const) {
      const r = await pruneLayer(layer.weights, { inputs: layer.inputs }, { n: 4, m: 8, transposable: true, method, update: 'exact' });
      for (let row = 0; row < rows; row++) {
        let scale = 0;
        for (let j = 0; j < cols; j++) {
          let residual = 0;
          for (let i = 0; i < cols; i++) residual += ((r.weights[row * cols + i] as number) - (w0[row * cols + i] as number)) * h[i * cols + j]!;
          scale = Math.max(scale, Math.abs(h[j * cols + j]!));
          if (r.mask[row * cols + j]) expect(Math.abs(residual)).toBeLessThan(1e-4 * scale);
        }
      }
    }
  });
});

describe('quality', () => {
  it("every method's loss ≤ magnitude's (same update) on correlated layers", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1e6 }), async (seed) => {
        const layer = scaledLayer(16, 64, 256, 0.9, 1, seed);
        const data = { inputs: layer.inputs };
        for (const pattern of [{ n: 2, m: 4 }, { n: 4, m: 8, transposable: true }]) {
          for (const update of ['exact', 'none'] as const) {
            const base = await pruneLayer(layer.weights, data, { ...pattern, method: 'magnitude', update });
            for (const method of METHODS) {
              if (method === 'magnitude' || (method === 'prox' && pattern.n !== 2)) continue;
              const r = await pruneLayer(layer.weights, data, { ...pattern, method, update });
              expect(r.relativeLoss, `${method} ${update} ${JSON.stringify(pattern)}`).toBeLessThanOrEqual(base.relativeLoss);
            }
          }
        }
      }),
      { seed: 21, numRuns: 3 },
    );
  }, 60_000);

  it('the preconditioned prox beats the unpreconditioned one on a badly scaled layer', async () => {
    for (const seed of [1, 2]) {
      const layer = scaledLayer(16, 64, 256, 0.9, 3, seed);
      const options: PruneLayerOptions = { n: 2, m: 4, method: 'prox' };
      const pre = await pruneLayer(layer.weights, { inputs: layer.inputs }, options);
      const plain = await pruneLayer(layer.weights, { inputs: layer.inputs }, { ...options, precondition: false });
      expect(pre.relativeLoss).toBeLessThan(plain.relativeLoss);
    }
  });
});

async function failure(run: () => Promise<PruneResult>): Promise<NmsparseError> {
  const e = await run().then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(NmsparseError);
  return e as NmsparseError;
}

describe('bad input', () => {
  const layer = scaledLayer(8, 16, 32, 0.5, 0, 3);
  const data = { inputs: layer.inputs };
  const base: PruneLayerOptions = { n: 2, m: 4, method: 'sparsegpt' };

  it('says which shape is wrong and what to do', async () => {
    let e = await failure(() => pruneLayer({ rows: 8, cols: 15, data: layer.weights.data.subarray(0, 120) }, data, base));
    expect([e.code, e.message]).toEqual(['E_SHAPE', expect.stringMatching(/multiple of M = 4/)]);
    e = await failure(() => pruneLayer({ rows: 6, cols: 16, data: layer.weights.data.subarray(0, 96) }, data, { ...base, n: 4, m: 8, transposable: true }));
    expect([e.code, e.message]).toEqual(['E_SHAPE', expect.stringMatching(/both dimensions multiples of M = 8/)]);
    e = await failure(() => pruneLayer(layer.weights, { inputs: { rows: 32, cols: 12, data: layer.inputs.data.subarray(0, 384) } }, base));
    expect([e.code, e.message]).toEqual(['E_SHAPE', expect.stringMatching(/samples × in with in = 16/)]);
    e = await failure(() => pruneLayer(layer.weights, { hessian: { rows: 16, cols: 8, data: new Float32Array(128) } }, base));
    expect(e.code).toBe('E_SHAPE');
  });

  it('names the layout that the shapes say was meant', async () => {
    const transposed = { rows: 16, cols: 32, data: new Float32Array(512) };
    let e = await failure(() => pruneLayer(layer.weights, { inputs: transposed }, base));
    expect([e.code, e.message]).toEqual(['E_SHAPE', expect.stringMatching(/pass layout: 'features-by-samples'/)]);
    e = await failure(() => pruneLayer(layer.weights, data, { ...base, layout: 'features-by-samples' }));
    expect([e.code, e.message]).toEqual(['E_SHAPE', expect.stringMatching(/pass layout: 'samples-by-features'/)]);
    e = await failure(() => pruneLayer(layer.weights, data, { ...base, layout: 'rows' as never }));
    expect(e.code).toBe('E_OPTION');
  });

  it('refuses NaN, bad options and a Hessian still singular after dampening', async () => {
    const nan = Float32Array.from(layer.inputs.data);
    nan[7] = Number.NaN;
    expect((await failure(() => pruneLayer(layer.weights, { inputs: { ...layer.inputs, data: nan } }, base))).code).toBe('E_NONFINITE');
    expect((await failure(() => pruneLayer(layer.weights, data, { ...base, method: 'obs' as never }))).code).toBe('E_OPTION');
    expect((await failure(() => pruneLayer(layer.weights, data, { ...base, maskSolver: 'best' as never }))).code).toBe('E_OPTION');
    expect((await failure(() => pruneLayer(layer.weights, data, { ...base, damp: -1 }))).code).toBe('E_OPTION');
    expect((await failure(() => pruneLayer(layer.weights, data, { ...base, n: 4, m: 4 }))).code).toBe('E_PATTERN');
    const prox = await failure(() => pruneLayer(layer.weights, data, { n: 4, m: 8, method: 'prox' }));
    expect([prox.code, prox.message]).toEqual(['E_PATTERN', expect.stringMatching(/Use 'alps' or 'sparsegpt'/)]);
    // 4 samples for 16 inputs: H has rank 4, and damp 0 leaves it singular.
    const few = { inputs: { rows: 4, cols: 16, data: layer.inputs.data.subarray(0, 64) } };
    for (const backend of ['wasm', 'reference'] as const) {
      const e = await failure(() => pruneLayer(layer.weights, few, { ...base, damp: 0, backend }));
      expect([e.code, e.message]).toEqual(['E_SINGULAR', expect.stringMatching(/raise the dampening \(damp\)/)]);
    }
  });
});

describe('progress and cancellation', () => {
  const layer = scaledLayer(8, 32, 64, 0.9, 0, 9);
  const data = { inputs: layer.inputs };

  it('every method reports progress that ends at done = total, and stops with E_ABORTED', async () => {
    for (const method of METHODS) {
      const seen: { done: number; total: number }[] = [];
      await pruneLayer(layer.weights, data, { n: 2, m: 4, method, blockSize: 8, onProgress: (p) => seen.push(p) });
      expect(seen.length, method).toBeGreaterThan(0);
      for (const p of seen) expect(p.done).toBeLessThanOrEqual(p.total);
      expect(seen.at(-1)!.done, method).toBe(seen.at(-1)!.total);
      const controller = new AbortController();
      controller.abort();
      expect((await failure(() => pruneLayer(layer.weights, data, { n: 2, m: 4, method, signal: controller.signal }))).code).toBe('E_ABORTED');
    }
  });
});
