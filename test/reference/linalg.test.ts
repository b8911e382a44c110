/**
 * The reference dense linear algebra (src/reference/linalg.ts) against plain oracles: products and
 * Gram matrices against a direct evaluation of their definitions (same f64 summation order, so bit for
 * bit), and the factorisations and solves against the equations they solve. test/prune/linalg.test.ts
 * compares the WebAssembly kernels with this reference; these tests make the reference itself the spec.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NmsparseError } from '../../src/core/errors.js';
import {
  cholesky,
  gemm,
  gram,
  refitRows,
  solveLower,
  solveLowerTransposed,
  spdInverse,
  triangularInverseLower,
} from '../../src/reference/linalg.js';
import { gaussianMatrix, mulberry32 } from '../support/random.js';

const gaussian = (length: number, seed: number): Float32Array => gaussianMatrix(1, length, seed).data;

/** Entry (i, j) of a row-major matrix with `cols` columns, or of its transpose. */
const entry = (x: ArrayLike<number>, cols: number, i: number, j: number, transposed: boolean, rows: number): number =>
  (transposed ? x[j * rows + i] : x[i * cols + j]) as number;

/** A random SPD matrix X·Xᵀ/s + shift·I, X n × s Gaussian, computed here without the code under test. */
function spd(n: number, seed: number, shift = 0.1): Float64Array {
  const s = n + 8;
  const x = gaussian(n * s, seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let t = 0; t < s; t++) sum += (x[i * s + t] as number) * (x[j * s + t] as number);
      a[i * n + j] = sum / s + (i === j ? shift : 0);
    }
  }
  return a;
}

/** A·B for n × n row-major f64 matrices. */
function product(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let p = 0; p < n; p++) c[i * n + j] = (c[i * n + j] as number) + (a[i * n + p] as number) * (b[p * n + j] as number);
  return c;
}

function transpose(a: Float64Array, n: number): Float64Array {
  return Float64Array.from({ length: n * n }, (_, k) => a[(k % n) * n + Math.floor(k / n)] as number);
}

function expectIdentity(x: Float64Array, n: number, digits: number): void {
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(x[i * n + j]).toBeCloseTo(i === j ? 1 : 0, digits);
}

function expectUpperZero(l: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(l[i * n + j]).toBe(0);
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(NmsparseError);
    return (e as NmsparseError).code;
  }
  return undefined;
}

describe('gemm', () => {
  it('is β·C + α·op(A)·op(B) with f64 sums over p in order, rounded once to f32', () => {
    const shape = fc.record({
      m: fc.integer({ min: 1, max: 6 }),
      k: fc.integer({ min: 1, max: 7 }),
      n: fc.integer({ min: 1, max: 6 }),
      transA: fc.option(fc.boolean(), { nil: undefined }),
      transB: fc.option(fc.boolean(), { nil: undefined }),
      alpha: fc.option(fc.constantFrom(1, -0.5, 3), { nil: undefined }),
      beta: fc.option(fc.constantFrom(0, 1, -1.5), { nil: undefined }),
      seed: fc.integer({ min: 1, max: 1e6 }),
    });
    fc.assert(
      fc.property(shape, (s) => {
        const a = gaussian(s.m * s.k, s.seed);
        const b = gaussian(s.k * s.n, s.seed + 1);
        const c = gaussian(s.m * s.n, s.seed + 2);
        const want = new Float32Array(s.m * s.n);
        for (let i = 0; i < s.m; i++) {
          for (let j = 0; j < s.n; j++) {
            let sum = 0;
            for (let p = 0; p < s.k; p++) sum += entry(a, s.k, i, p, s.transA === true, s.m) * entry(b, s.n, p, j, s.transB === true, s.k);
            const beta = s.beta ?? 0;
            want[i * s.n + j] = (beta === 0 ? 0 : beta * (c[i * s.n + j] as number)) + (s.alpha ?? 1) * sum;
          }
        }
        const out = Float32Array.from(c);
        expect(gemm(a, b, out, s)).toBe(out);
        expect(Array.from(out)).toEqual(Array.from(want));
      }),
      { seed: 21, numRuns: 200 },
    );
  });

  it('ignores C when β = 0 (NaN and ±Infinity there do not leak into the product)', () => {
    const a = gaussian(6, 1);
    const b = gaussian(6, 2);
    const c = Float32Array.from([NaN, Infinity, -Infinity, NaN]);
    const out = gemm(a, b, c, { m: 2, k: 3, n: 2, beta: 0 });
    expect(out.every(Number.isFinite)).toBe(true);
  });
});

describe('gram', () => {
  it('is XᵀX (samples × features) or X·Xᵀ (features × samples), symmetric, bit for bit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }), fc.boolean(), fc.integer({ min: 1, max: 1e6 }), (rows, cols, fbs, seed) => {
        const x = gaussian(rows * cols, seed);
        const f = fbs ? rows : cols;
        const samples = fbs ? cols : rows;
        const h = gram(x, rows, cols, fbs);
        expect(h.length).toBe(f * f);
        for (let i = 0; i < f; i++) {
          for (let j = 0; j < f; j++) {
            // Sum over samples in order of the products x_ti · x_tj, the larger feature index first.
            const [p, q] = i >= j ? [i, j] : [j, i];
            let sum = 0;
            for (let t = 0; t < samples; t++) sum += entry(x, f, t, p, fbs, samples) * entry(x, f, t, q, fbs, samples);
            expect(h[i * f + j]).toBe(sum);
          }
        }
      }),
      { seed: 22, numRuns: 150 },
    );
  });
});

describe('cholesky', () => {
  it('gives a lower L with a positive diagonal and L·Lᵀ = A, reading only the lower triangle', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 1e6 }), (n, seed) => {
        const a = spd(n, seed);
        // Garbage above the diagonal must not matter.
        const lowerOnly = Float64Array.from(a, (x, k) => (k % n > Math.floor(k / n) ? 1e6 * (k + 1) : x));
        const l = cholesky(lowerOnly, n);
        expectUpperZero(l, n);
        for (let i = 0; i < n; i++) expect(l[i * n + i]).toBeGreaterThan(0);
        const llt = product(l, transpose(l, n), n);
        for (let k = 0; k < n * n; k++) expect(llt[k]).toBeCloseTo(a[k] as number, 10);
      }),
      { seed: 23, numRuns: 100 },
    );
  });

  it('refuses a pivot not above minPivot with E_SINGULAR, naming the pivot and its value', () => {
    // diag(4, 9, 1): the pivots are the diagonal itself.
    const a = Float64Array.from([4, 0, 0, 0, 9, 0, 0, 0, 1]);
    expect(Array.from(cholesky(a, 3, 0.999))).toEqual([2, 0, 0, 0, 3, 0, 0, 0, 1]);
    expect(codeOf(() => cholesky(a, 3, 1))).toBe('E_SINGULAR');
    expect(() => cholesky(a, 3, 1)).toThrow(/pivot 2 is 1\.00.*damp/);
    expect(() => cholesky(a, 3, 4)).toThrow(/pivot 0 is 4\.00/);
    expect(codeOf(() => cholesky(Float64Array.from([1, 0, 0, 0]), 2))).toBe('E_SINGULAR');
    expect(codeOf(() => cholesky(Float64Array.from([NaN]), 1))).toBe('E_SINGULAR');
    // Indefinite: [[1, 2], [2, 1]] has second pivot 1 − 4 = −3.
    expect(() => cholesky(Float64Array.from([1, 2, 2, 1]), 2)).toThrow(/pivot 1 is -3\.00/);
  });
});

describe('triangular solves and inverses', () => {
  it('solveLower solves L·y = b and solveLowerTransposed Lᵀ·x = y, leaving their inputs alone', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 1e6 }), (n, seed) => {
        const l = cholesky(spd(n, seed), n);
        const b = Float64Array.from(gaussian(n, seed + 1));
        const before = Float64Array.from(b);
        const y = solveLower(l, n, b);
        const x = solveLowerTransposed(l, n, b);
        expect(b).toEqual(before);
        for (let i = 0; i < n; i++) {
          let ly = 0;
          let ltx = 0;
          for (let p = 0; p < n; p++) {
            ly += (l[i * n + p] as number) * (y[p] as number);
            ltx += (l[p * n + i] as number) * (x[p] as number);
          }
          expect(ly).toBeCloseTo(b[i] as number, 9);
          expect(ltx).toBeCloseTo(b[i] as number, 9);
        }
      }),
      { seed: 24, numRuns: 100 },
    );
  });

  it('triangularInverseLower gives a lower X with L·X = I; spdInverse a symmetric A⁻¹', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 1e6 }), (n, seed) => {
        const a = spd(n, seed);
        const l = cholesky(a, n);
        const x = triangularInverseLower(l, n);
        expectUpperZero(x, n);
        expectIdentity(product(l, x, n), n, 9);
        const inv = spdInverse(a, n);
        expectIdentity(product(a, inv, n), n, 8);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) expect(inv[i * n + j]).toBe(inv[j * n + i]);
      }),
      { seed: 25, numRuns: 100 },
    );
  });

  it('spdInverse passes minPivot on to the factorisation', () => {
    const a = Float64Array.from([4, 0, 0, 1]);
    expect(Array.from(spdInverse(a, 2, 0.5))).toEqual([0.25, 0, 0, 1]);
    expect(codeOf(() => spdInverse(a, 2, 1))).toBe('E_SINGULAR');
  });
});

describe('refitRows', () => {
  it('solves (H_SS + ridge·I)·w_S = rhs_S on each row’s support and is 0 off it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 4 }), fc.constantFrom(0, 1e-3, 0.5), fc.integer({ min: 1, max: 1e6 }), (n, rows, ridge, seed) => {
        const h = spd(n, seed, 0.05);
        const uniform = mulberry32(seed);
        const mask = Uint8Array.from({ length: rows * n }, () => (uniform() < 0.6 ? 1 : 0));
        const rhs = Float64Array.from(gaussian(rows * n, seed + 3));
        const w = refitRows(h, n, mask, rhs, ridge, rows);
        expect(w.length).toBe(rows * n);
        for (let r = 0; r < rows; r++) {
          for (let j = 0; j < n; j++) {
            if (!mask[r * n + j]) {
              expect(w[r * n + j]).toBe(0);
              continue;
            }
            let s = ridge * (w[r * n + j] as number);
            for (let p = 0; p < n; p++) if (mask[r * n + p]) s += (h[j * n + p] as number) * (w[r * n + p] as number);
            expect(s).toBeCloseTo(rhs[r * n + j] as number, 4);
          }
        }
      }),
      { seed: 26, numRuns: 100 },
    );
  });

  it('grows δ from the ridge ×100 until H_SS + δI factors', () => {
    // H = −c·I on the support: the first δ = ridge·100ᵏ above c is used, and w = rhs / (δ − c).
    const n = 3;
    const h = Float64Array.from([-5, 0, 0, 0, -5, 0, 0, 0, -5]);
    const mask = Uint8Array.from([1, 0, 1]);
    const rhs = Float64Array.from([3, 7, -2]);
    // ridge 0.01: 0.01, 1, 100 → δ − c = 95.
    expect(Array.from(refitRows(h, n, mask, rhs, 0.01, 1))).toEqual(Array.from(Float32Array.from([3 / 95, 0, -2 / 95])));
    // ridge 6 factors at once: δ − c = 1.
    expect(Array.from(refitRows(h, n, mask, rhs, 6, 1))).toEqual([3, 0, -2]);
  });
});
