import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { configureWasm } from '../../src/backends/wasm.js';
import * as wasm from '../../src/backends/wasmLinalg.js';
import * as ref from '../../src/reference/linalg.js';
import { blockColumns, blockCorner, lazyOperand, obsBlockRows, setBlockColumns } from '../../src/reference/obsSweep.js';
import { linalgFor, type Linalg } from '../../src/prune/linalg.js';
import { NmsparseError } from '../../src/core/errors.js';
import { gaussianMatrix, mulberry32 } from '../support/random.js';

const gaussian = (length: number, seed: number): Float32Array => gaussianMatrix(1, length, seed).data;

/** A random SPD matrix X·Xᵀ/s + shift·I (f64), X n × s Gaussian. */
function spd(n: number, seed: number, shift = 0.1): Float64Array {
  const s = n + 8;
  const h = ref.gram(gaussian(n * s, seed), n, s, true);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) h[i * n + j] = (h[i * n + j] as number) / s + (i === j ? shift : 0);
  return h;
}

/** Q·diag(λ)·Qᵀ (f64) with Q a random orthogonal matrix (Gram–Schmidt, twice) and λ log-spaced from 1 to 1/κ. */
function conditioned(n: number, kappa: number, seed: number): Float64Array {
  const q = Float64Array.from(gaussian(n * n, seed));
  for (let i = 0; i < n; i++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < i; p++) {
        let dot = 0;
        for (let j = 0; j < n; j++) dot += (q[i * n + j] as number) * (q[p * n + j] as number);
        for (let j = 0; j < n; j++) q[i * n + j] = (q[i * n + j] as number) - dot * (q[p * n + j] as number);
      }
    }
    let norm = 0;
    for (let j = 0; j < n; j++) norm += (q[i * n + j] as number) ** 2;
    for (let j = 0; j < n; j++) q[i * n + j] = (q[i * n + j] as number) / Math.sqrt(norm);
  }
  const h = new Float64Array(n * n);
  for (let p = 0; p < n; p++) {
    const lambda = kappa ** (-p / (n - 1));
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) h[i * n + j] = (h[i * n + j] as number) + lambda * (q[p * n + i] as number) * (q[p * n + j] as number);
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) h[i * n + j] = h[j * n + i] as number;
  return h;
}

/** An upper triangular U with a positive diagonal, from a random SPD matrix (any such U will do for a sweep). */
function upper(width: number, seed: number): Float64Array {
  const l = ref.cholesky(spd(width, seed, 0.5), width);
  const u = new Float64Array(width * width);
  for (let i = 0; i < width; i++) for (let j = i; j < width; j++) u[i * width + j] = l[j * width + i] as number;
  return u;
}

function largestDifference(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length);
  let largest = 0;
  for (let i = 0; i < a.length; i++) largest = Math.max(largest, Math.abs((a[i] as number) - (b[i] as number)));
  return largest;
}

function product64(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < n; p++) {
      const x = a[i * n + p] as number;
      for (let j = 0; j < n; j++) c[i * n + j] = (c[i * n + j] as number) + x * (b[p * n + j] as number);
    }
  }
  return c;
}

// Small products run on the pool too (minParallelUnits 0), so both the inline and the pooled path are covered.
let restore: { threads: number; minParallelUnits: number };
beforeAll(async () => {
  restore = await configureWasm({});
});
afterAll(async () => {
  await configureWasm(restore);
});

describe('WASM GEMM against the reference (f64 sums)', () => {
  it('agrees on random shapes, ragged edges, transposes, α and β, inline and on 2 workers', async () => {
    const shape = fc.record({
      m: fc.integer({ min: 1, max: 150 }),
      k: fc.integer({ min: 1, max: 600 }),
      n: fc.integer({ min: 1, max: 40 }),
      transA: fc.boolean(),
      transB: fc.boolean(),
      alpha: fc.constantFrom(1, -0.5, 2),
      beta: fc.constantFrom(0, 1, -1.5),
      pooled: fc.boolean(),
      seed: fc.integer({ min: 1, max: 1e6 }),
    });
    await fc.assert(
      fc.asyncProperty(shape, async (s) => {
        await configureWasm(s.pooled ? { threads: 2, minParallelUnits: 0 } : { threads: 1 });
        const a = gaussian(s.m * s.k, s.seed);
        const b = gaussian(s.k * s.n, s.seed + 1);
        const c = gaussian(s.m * s.n, s.seed + 2);
        const got = await wasm.gemm(a, b, Float32Array.from(c), s);
        const want = ref.gemm(a, b, Float32Array.from(c), s);
        // f32 sums: error ≲ k·2⁻²⁴·Σ|a||b|; with Gaussian entries Σ|a||b| ≈ 0.64·k.
        const tolerance = 1e-6 * s.k * Math.abs(s.alpha) * Math.max(1, s.k * 0.02) + 1e-6;
        for (let i = 0; i < want.length; i++) expect(Math.abs((got[i] as number) - (want[i] as number))).toBeLessThan(tolerance);
      }),
      { seed: 11, numRuns: 40 },
    );
  }, 60_000);
});

describe('WASM Gram matrix', () => {
  it('matches the f64 reference to 1e-6 relative in both layouts, across several row blocks (upper triangle mirrored)', async () => {
    await configureWasm({ threads: 2, minParallelUnits: 0 });
    for (const [rows, cols, fbs] of [[700, 37, false], [45, 530, true], [1, 9, false], [300, 150, false], [139, 90, true]] as const) {
      const x = gaussian(rows * cols, rows + cols);
      const got = await wasm.gram(x, rows, cols, fbs);
      const want = ref.gram(x, rows, cols, fbs);
      const f = fbs ? rows : cols;
      for (let i = 0; i < f; i++) {
        for (let j = 0; j < f; j++) {
          const scale = Math.sqrt((want[i * f + i] as number) * (want[j * f + j] as number));
          expect(Math.abs((got[i * f + j] as number) - (want[i * f + j] as number))).toBeLessThanOrEqual(1e-6 * scale + 1e-12);
        }
      }
    }
  });
});

describe('Cholesky, triangular inverse, SPD inverse', () => {
  it('L·Lᵀ = A, L⁻¹·L = I and A⁻¹·A = I (WASM and reference) on random SPD matrices', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 1e6 }), async (n, seed) => {
        const a = spd(n, seed);
        for (const impl of [wasm, ref]) {
          const l = await impl.cholesky(a, n);
          const lt = new Float64Array(n * n);
          for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) lt[i * n + j] = l[j * n + i] as number;
          const llt = product64(l, lt, n);
          for (let i = 0; i < n * n; i++) expect(llt[i]).toBeCloseTo(a[i] as number, 9);
          const li = product64(await impl.triangularInverseLower(l, n), l, n);
          const inv = product64(await impl.spdInverse(a, n), a, n);
          for (let i = 0; i < n; i++) {
            for (let j = 0; j < n; j++) {
              expect(li[i * n + j]).toBeCloseTo(i === j ? 1 : 0, 8);
              expect(inv[i * n + j]).toBeCloseTo(i === j ? 1 : 0, 7);
            }
          }
        }
      }),
      { seed: 12, numRuns: 15 },
    );
  });

  it('blocked past 128 columns (ragged last block), inline and on 2 workers: the reference factor and inverse', async () => {
    for (const [n, pooled] of [[129, true], [300, false], [389, true], [256, true]] as const) {
      await configureWasm(pooled ? { threads: 2, minParallelUnits: 0 } : { threads: 1 });
      const a = spd(n, n, 1);
      const want = ref.cholesky(a, n);
      expect(largestDifference(await wasm.cholesky(a, n), want)).toBeLessThan(1e-11);
      expect(largestDifference(await wasm.triangularInverseLower(want, n), ref.triangularInverseLower(want, n))).toBeLessThan(1e-11);
      expect(largestDifference(await wasm.spdInverse(a, n), ref.spdInverse(a, n))).toBeLessThan(1e-10);
    }
    // A pivot failing in the third block: rank 200 of 300.
    await configureWasm({ threads: 2, minParallelUnits: 0 });
    const low = ref.gram(gaussian(300 * 200, 7), 300, 200, true);
    for (const attempt of [() => wasm.cholesky(low, 300, 1e-6), () => wasm.spdInverse(low, 300, 1e-6)]) {
      const error = await attempt().then(() => undefined, (e: unknown) => e);
      expect((error as NmsparseError).code).toBe('E_SINGULAR');
      expect(Number(/pivot (\d+)/.exec((error as NmsparseError).message)?.[1])).toBeGreaterThanOrEqual(199);
    }
  }, 60_000);

  it('refuses a near-singular matrix with E_SINGULAR and a message that says what to do', async () => {
    // Rank 3 in 8 dimensions: the fourth pivot is rounding noise.
    const n = 8;
    const a = ref.gram(gaussian(n * 3, 5), n, 3, true);
    for (const attempt of [() => wasm.cholesky(a, n, 1e-9), () => wasm.spdInverse(a, n, 1e-9), () => ref.cholesky(a, n, 1e-9)]) {
      const error = await Promise.resolve().then(attempt).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(NmsparseError);
      expect((error as NmsparseError).code).toBe('E_SINGULAR');
      expect((error as NmsparseError).message).toMatch(/damp/);
    }
  });
});

describe('triangular solves and the exact refit', () => {
  it('the refit meets its normal equations on every row (WASM = reference)', async () => {
    const n = 24;
    const rows = 9;
    const h = spd(n, 3, 0.01);
    const uniform = mulberry32(9);
    const mask = Uint8Array.from({ length: rows * n }, () => (uniform() < 0.5 ? 1 : 0));
    const rhs = Float64Array.from(gaussian(rows * n, 4));
    await configureWasm({ threads: 2, minParallelUnits: 0 });
    const got = await wasm.refitRows(h, n, mask, rhs, 1e-12, rows);
    const want = ref.refitRows(h, n, mask, rhs, 1e-12, rows);
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i] as number, 4);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < n; j++) {
        if (!mask[r * n + j]) {
          expect(got[r * n + j]).toBe(0);
          continue;
        }
        // (H·w)_j = rhs_j on the support.
        let s = 0;
        for (let p = 0; p < n; p++) s += (h[j * n + p] as number) * (got[r * n + p] as number);
        expect(s).toBeCloseTo(rhs[r * n + j] as number, 3);
      }
    }
  });

  it('the mixed-precision refit gives the f64 solve to f32 rounding at every conditioning and ridge', async () => {
    // H = Q·diag(λ)·Qᵀ with λ log-spaced over [1/κ, 1]: up to κ ≈ 10⁶ the f32 factor plus f64 refinement
    // answers, beyond it the f64 fallback (f32 factorisation fails or the corrections stall). Both
    // solves then agree to about κ·2⁻⁵³ relative; the output adds f32 rounding. A ridge of 1e-10 sits
    // below the smallest eigenvalue at κ = 10⁹, so a δ skipped to the next ×100 step would show.
    const n = 48;
    const rows = 6;
    for (const [c, kappa] of [1, 1e2, 1e4, 1e6, 1e9, 1e12].entries()) {
      const h = conditioned(n, kappa, 40 + c);
      const uniform = mulberry32(50 + c);
      const mask = Uint8Array.from({ length: rows * n }, () => (uniform() < 0.5 ? 1 : 0));
      const rhs = Float64Array.from(gaussian(rows * n, 60 + c));
      for (const ridge of [0, 1e-10, 0.3]) {
        for (const minParallelUnits of [0, 2 ** 30]) {
          await configureWasm({ threads: 2, minParallelUnits });
          const got = await wasm.refitRows(h, n, mask, rhs, ridge, rows);
          const want = ref.refitRows(h, n, mask, rhs, ridge, rows);
          const tolerance = 2 ** -23 + 1e-15 * kappa;
          for (let r = 0; r < rows; r++) {
            let scale = 0;
            for (let j = 0; j < n; j++) scale = Math.max(scale, Math.abs(want[r * n + j] as number));
            for (let j = 0; j < n; j++) {
              if (!mask[r * n + j]) expect(got[r * n + j]).toBe(0);
              else expect(Math.abs((got[r * n + j] as number) - (want[r * n + j] as number))).toBeLessThanOrEqual(tolerance * scale);
            }
          }
        }
      }
    }
    await configureWasm({ threads: 2, minParallelUnits: 0 });
  });

  it('the WASM refit grows δ from the ridge ×100 until H_SS + δI factors, as the reference does', async () => {
    // H = −c·I on the support: the first δ = ridge·100ᵏ above c is used, and w = rhs / (δ − c).
    const h = Float64Array.from([-5, 0, 0, 0, -5, 0, 0, 0, -5]);
    const mask = Uint8Array.from([1, 0, 1]);
    const rhs = Float64Array.from([3, 7, -2]);
    expect(Array.from(await wasm.refitRows(h, 3, mask, rhs, 0.01, 1))).toEqual(Array.from(Float32Array.from([3 / 95, 0, -2 / 95])));
    expect(Array.from(await wasm.refitRows(h, 3, mask, rhs, 6, 1))).toEqual([3, 0, -2]);
    // An all-zero H (every input dead): δ = ridge factors at once, w = rhs/δ.
    const zero = new Float64Array(9);
    expect(Array.from(await wasm.refitRows(zero, 3, mask, rhs, 0.5, 1))).toEqual([6, 0, -4]);
  });

  it('forward and back substitution invert L and Lᵀ', () => {
    const n = 13;
    const l = ref.cholesky(spd(n, 8), n);
    const b = Float64Array.from(gaussian(n, 2));
    const x = ref.solveLowerTransposed(l, n, ref.solveLower(l, n, b));
    const a = spd(n, 8);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let p = 0; p < n; p++) s += (a[i * n + p] as number) * (x[p] as number);
      expect(s).toBeCloseTo(b[i] as number, 9);
    }
  });
});

describe("SparseGPT's block sweep (obsBlock)", () => {
  it('WASM equals the reference bit for bit, pooled and inline, with tied scores and odd widths', async () => {
    const cases = [
      { rows: 7, n: 2, m: 4, width: 16, seed: 1 },
      { rows: 5, n: 1, m: 3, width: 9, seed: 2 },
      { rows: 33, n: 4, m: 8, width: 24, seed: 3 },
      { rows: 6, n: 2, m: 4, width: 4, seed: 4 },
      { rows: 4, n: 3, m: 5, width: 15, seed: 5, tied: true },
    ];
    for (const threads of [2, 1]) {
      await configureWasm({ threads, minParallelUnits: threads === 2 ? 0 : 1e9 });
      for (const c of cases) {
        const w = gaussian(c.rows * c.width, c.seed);
        // Tied: a handful of values, so equal scores meet in most slabs and the lower index must win.
        if (c.tied) w.forEach((x, i) => (w[i] = Math.sign(x) * (1 + (i % 3))));
        const u = upper(c.width, c.seed + 10);
        if (c.tied) for (let i = 0; i < c.width; i++) u[i * c.width + i] = 1;
        const before = w.slice();
        const got = await wasm.obsBlock(w, c.rows, c.width, u, c.n, c.m);
        const want = obsBlockReference(w, c.rows, c.width, u, c.n, c.m);
        expect(w).toEqual(before);
        expect(Array.from(got.mask)).toEqual(Array.from(want.mask));
        expect(Array.from(got.weights)).toEqual(Array.from(want.weights));
        expect(Array.from(got.err)).toEqual(Array.from(want.err));
        for (let r = 0; r < c.rows; r++) {
          for (let c0 = 0; c0 < c.width; c0 += c.m) {
            let kept = 0;
            for (let t = 0; t < c.m; t++) {
              const k = r * c.width + c0 + t;
              kept += got.mask[k] as number;
              // Pruned entries are zero and carry their error; kept ones carry none.
              if (got.mask[k]) expect(got.err[k]).toBe(0);
              else expect(got.weights[k]).toBe(0);
            }
            expect(kept).toBe(c.n);
          }
        }
      }
    }
  });

  it('the first slab removes each pruned weight with its OBS error e = w/U_cc', () => {
    const u = upper(8, 7);
    const w = gaussian(3 * 8, 8);
    const r = obsBlockReference(w, 3, 8, u, 2, 4);
    for (let row = 0; row < 3; row++) {
      for (let t = 0; t < 4; t++) {
        const k = row * 8 + t;
        if (r.mask[k]) continue;
        // Within the first slab the earlier pruned columns moved this one by their own updates.
        let x = w[k] as number;
        for (let p = 0; p < t; p++) {
          if (!r.mask[row * 8 + p]) x -= (r.err[row * 8 + p] as number) * (u[p * 8 + t] as number);
        }
        expect(r.err[k]).toBeCloseTo(x / (u[t * 8 + t] as number), 5);
      }
    }
  });
});

describe("SparseGPT's whole standard sweep (obsSweep)", () => {
  /** The obsBlock and gemm kernels of one backend run block by block, as src/reference/obsSweep.ts composes them. */
  async function composed(
    linalg: Linalg,
    w: Float32Array,
    c: { rows: number; cols: number; keep: number; m: number; block: number },
    u: Float64Array,
  ): Promise<{ weights: Float32Array; mask: Uint8Array }> {
    const { rows, cols: n } = c;
    const weights = w.slice();
    const mask = new Uint8Array(rows * n);
    for (let i1 = 0; i1 < n; i1 += c.block) {
      const i2 = Math.min(n, i1 + c.block);
      const width = i2 - i1;
      const r = await linalg.obsBlock(blockColumns(weights, rows, n, i1, i2), rows, width, blockCorner(u, n, i1, i2), c.keep, c.m);
      setBlockColumns(weights, r.weights, rows, n, i1, i2);
      setBlockColumns(mask, r.mask, rows, n, i1, i2);
      if (i2 === n) continue;
      const after = blockColumns(weights, rows, n, i2, n);
      const b = lazyOperand(u, n, i1, i2, new Float32Array(width * (n - i2)));
      await linalg.gemm(r.err, b, after, { m: rows, k: width, n: n - i2, alpha: -1, beta: 1 });
      setBlockColumns(weights, after, rows, n, i2, n);
    }
    return { weights, mask };
  }

  const cases = [
    { rows: 9, cols: 300, keep: 2, m: 4, block: 128, seed: 1 },
    { rows: 70, cols: 96, keep: 1, m: 3, block: 33, seed: 2 },
    { rows: 5, cols: 8, keep: 4, m: 8, block: 8, seed: 3 },
    { rows: 130, cols: 200, keep: 4, m: 8, block: 64, seed: 4 },
  ];

  it("equals its backend's obsBlock and gemm composed block by block, bit for bit (wasm pooled and inline, reference)", async () => {
    for (const [backend, threads] of [['wasm', 2], ['wasm', 1], ['reference', 1]] as const) {
      await configureWasm({ threads, minParallelUnits: threads === 2 ? 0 : 1e9 });
      const linalg = linalgFor(backend);
      for (const c of cases) {
        const w = gaussian(c.rows * c.cols, c.seed);
        const u = upper(c.cols, c.seed + 20);
        const before = w.slice();
        const progress: number[] = [];
        const got = await linalg.obsSweep(w, c.rows, c.cols, u, c.keep, c.m, c.block, {
          onProgress: (p) => progress.push(p.done / p.total),
        });
        expect(linalg.ran).toBe(backend);
        const want = await composed(linalg, w, c, u);
        expect(w).toEqual(before);
        expect(Array.from(got.mask)).toEqual(Array.from(want.mask));
        expect(Array.from(got.weights)).toEqual(Array.from(want.weights));
        const blocks = Math.ceil(c.cols / c.block);
        expect(progress).toEqual(Array.from({ length: blocks }, (_, i) => (i + 1) / blocks));
        // Every group of every row keeps exactly `keep`, and pruned weights are zero.
        for (let g = 0; g < (c.rows * c.cols) / c.m; g++) {
          let kept = 0;
          for (let t = 0; t < c.m; t++) {
            kept += got.mask[g * c.m + t] as number;
            if (!got.mask[g * c.m + t]) expect(got.weights[g * c.m + t]).toBe(0);
          }
          expect(kept).toBe(c.keep);
        }
      }
    }
  });

  it('stops between blocks with E_ABORTED when the signal fires', async () => {
    for (const backend of ['wasm', 'reference'] as const) {
      const c = cases[0] as (typeof cases)[number];
      const controller = new AbortController();
      const blocks: number[] = [];
      const sweep = linalgFor(backend).obsSweep(gaussian(c.rows * c.cols, 5), c.rows, c.cols, upper(c.cols, 6), c.keep, c.m, c.block, {
        signal: controller.signal,
        onProgress: (p) => {
          blocks.push(p.done);
          controller.abort();
        },
      });
      await expect(sweep).rejects.toMatchObject({ code: 'E_ABORTED' });
      expect(blocks).toEqual([1]);
    }
  });
});

function obsBlockReference(w: Float32Array, rows: number, width: number, u: Float64Array, n: number, m: number) {
  const weights = w.slice();
  const mask = new Uint8Array(rows * width);
  const err = new Float32Array(rows * width);
  obsBlockRows(weights, width, u, n, m, 0, rows, mask, err);
  return { weights, mask, err };
}
