/**
 * Dense linear algebra of the layer pruners, written to be read: the specification of the WebAssembly
 * kernels (assembly/linalg.ts), which compute the same quantities cache-blocked and in SIMD, and the
 * oracle the tests compare them with. Matrices are row-major. Every sum here runs in f64 (the exact
 * result up to one final rounding), so the kernels' differences from it are their own rounding; see
 * assembly/linalg.ts for which kernel accumulates in f32 and why.
 *
 * Conventions: op(A) is m × k (A is stored k × m when transA), op(B) is k × n (B stored n × k when
 * transB), C is m × n. Cholesky is lower: A = L·Lᵀ.
 */
import { NmsparseError } from '../core/errors.js';

export interface GemmShape {
  m: number;
  k: number;
  n: number;
  transA?: boolean;
  transB?: boolean;
  /** C = β·C + α·op(A)·op(B); defaults α = 1, β = 0. */
  alpha?: number;
  beta?: number;
}

/** C = β·C + α·op(A)·op(B) (f32 in and out, f64 sums). C is updated in place and returned. */
export function gemm(a: Float32Array, b: Float32Array, c: Float32Array, s: GemmShape): Float32Array {
  const { m, k, n } = s;
  const alpha = s.alpha ?? 1;
  const beta = s.beta ?? 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) {
        const x = s.transA ? (a[p * m + i]) : (a[i * k + p]);
        const y = s.transB ? (b[j * k + p]) : (b[p * n + j]);
        sum += x * y;
      }
      const old = beta === 0 ? 0 : beta * (c[i * n + j]);
      c[i * n + j] = old + alpha * sum;
    }
  }
  return c;
}

/**
 * The Gram matrix of the features (f64, features × features): XᵀX for X samples × features, or X·Xᵀ
 * for X features × samples (`featuresBySamples`).
 */
export function gram(x: Float32Array, rows: number, cols: number, featuresBySamples: boolean): Float64Array {
  const features = featuresBySamples ? rows : cols;
  const samples = featuresBySamples ? cols : rows;
  const at = (sample: number, feature: number): number =>
    featuresBySamples ? (x[feature * cols + sample]) : (x[sample * cols + feature]);
  const h = new Float64Array(features * features);
  for (let i = 0; i < features; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = 0;
      for (let t = 0; t < samples; t++) sum += at(t, i) * at(t, j);
      h[i * features + j] = sum;
      h[j * features + i] = sum;
    }
  }
  return h;
}

/**
 * The lower Cholesky factor L of the symmetric n × n matrix A (only its lower triangle is read).
 * Throws E_SINGULAR when a pivot is not above `minPivot` (A is not numerically positive definite).
 */
export function cholesky(a: Float64Array, n: number, minPivot = 0): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j];
      for (let p = 0; p < j; p++) s -= (l[i * n + p]) * (l[j * n + p]);
      if (j < i) {
        l[i * n + j] = s / (l[j * n + j]);
      } else {
        if (!(s > minPivot)) throw singular(i, s);
        l[i * n + i] = Math.sqrt(s);
      }
    }
  }
  return l;
}

export function singular(pivot: number, value: number): NmsparseError {
  return new NmsparseError(
    'E_SINGULAR',
    `the matrix is not positive definite (Cholesky pivot ${pivot} is ${value.toPrecision(3)}); ` +
      'raise the dampening (damp) or pass more calibration samples',
  );
}

/** y with L·y = b (forward substitution). */
export function solveLower(l: Float64Array, n: number, b: Float64Array): Float64Array {
  const y = Float64Array.from(b);
  for (let i = 0; i < n; i++) {
    let s = y[i];
    for (let p = 0; p < i; p++) s -= (l[i * n + p]) * (y[p]);
    y[i] = s / (l[i * n + i]);
  }
  return y;
}

/** x with Lᵀ·x = y (back substitution). */
export function solveLowerTransposed(l: Float64Array, n: number, y: Float64Array): Float64Array {
  const x = Float64Array.from(y);
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i];
    for (let p = i + 1; p < n; p++) s -= (l[p * n + i]) * (x[p]);
    x[i] = s / (l[i * n + i]);
  }
  return x;
}

/** L⁻¹ for a lower-triangular L with nonzero diagonal (lower triangular). */
export function triangularInverseLower(l: Float64Array, n: number): Float64Array {
  const x = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const e = new Float64Array(n);
    e[j] = 1;
    const column = solveLower(l, n, e);
    for (let i = 0; i < n; i++) x[i * n + j] = column[i];
  }
  return x;
}

/** A⁻¹ for a symmetric positive definite A: L⁻ᵀ·L⁻¹ from its Cholesky factor (E_SINGULAR otherwise). */
export function spdInverse(a: Float64Array, n: number, minPivot = 0): Float64Array {
  const x = triangularInverseLower(cholesky(a, n, minPivot), n);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = Math.max(i, j); p < n; p++) s += (x[p * n + i]) * (x[p * n + j]);
      inv[i * n + j] = s;
    }
  }
  return inv;
}

/**
 * The exact refit of every row: with S = {j : mask_rj ≠ 0}, w_S solves (H_SS + δI)·w_S = rhs_{r,S}
 * (rhs = W₀·H, f64), zeros off S. δ starts at `ridge` and grows ×100 until H_SS + δI factors; it only
 * guards a singular H_SS (fewer samples than kept inputs, dead inputs).
 */
export function refitRows(
  h: Float64Array,
  n: number,
  mask: Uint8Array,
  rhs: Float64Array,
  ridge: number,
  rows: number,
): Float32Array {
  const out = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) {
    const support: number[] = [];
    for (let j = 0; j < n; j++) if (mask[r * n + j]) support.push(j);
    const k = support.length;
    const b = Float64Array.from(support, (j) => rhs[r * n + j]);
    for (let delta = ridge; ; delta *= 100) {
      const a = new Float64Array(k * k);
      support.forEach((si, i) => {
        support.forEach((sj, j) => (a[i * k + j] = h[si * n + sj]));
        a[i * k + i] = (a[i * k + i]) + delta;
      });
      let l: Float64Array;
      try {
        l = cholesky(a, k);
      } catch {
        continue;
      }
      const w = solveLowerTransposed(l, k, solveLower(l, k, b));
      support.forEach((j, i) => (out[r * n + j] = w[i]));
      break;
    }
  }
  return out;
}
