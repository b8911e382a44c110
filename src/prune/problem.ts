import { NmsparseError } from '../errors.js';
import { toMatrix, type MatrixLike } from '../matrix.js';

/** Calibration data for a linear layer: the inputs X (in × samples) or H = X·Xᵀ (in × in). */
export type LayerData = { inputs: MatrixLike } | { hessian: MatrixLike };

/**
 * A layer-wise pruning problem: W₀ (rows × cols, cols = in a multiple of 4) and H (cols × cols, f64).
 * The local loss of W is ‖(W − W₀)X‖²_F = Σ_r (w_r − w₀_r)ᵀ H (w_r − w₀_r).
 */
export interface LayerProblem {
  readonly rows: number;
  readonly cols: number;
  readonly w0: Float32Array;
  readonly h: Float64Array;
  /** W₀·H (rows × cols, f64), so that the gradient 2(W − W₀)H = 2(W·H − W₀·H) can skip W's zeros. */
  readonly w0h: Float64Array;
  /** ‖W₀X‖²_F, the denominator of the relative loss. */
  readonly reference: number;
}

export function layerProblem(weights: MatrixLike, data: LayerData): LayerProblem {
  const w = toMatrix(weights, 'weights');
  if (w.cols % 4 !== 0) {
    throw new NmsparseError(
      'E_SHAPE',
      `weights is ${w.rows}×${w.cols} (out × in); 2:4 groups run along the input dimension, so in must be a multiple of 4`,
    );
  }
  if (data === null || typeof data !== 'object' || (!('inputs' in data) && !('hessian' in data))) {
    throw new NmsparseError('E_OPTION', 'pass the calibration data as { inputs: X } (in × samples) or { hessian: H } (in × in)');
  }
  const h = 'inputs' in data ? gram(data.inputs, w.cols) : hessian(data.hessian, w.cols);
  const w0h = new Float64Array(w.rows * w.cols);
  productRows(w.data, h, w.cols, 0, w.rows, w0h);
  let reference = 0;
  for (let i = 0; i < w0h.length; i++) reference += (w.data[i] as number) * (w0h[i] as number);
  if (reference === 0 && w.data.some((x) => x !== 0)) {
    throw new NmsparseError('E_SHAPE', 'W₀·X is zero for every row: the inputs carry no signal to preserve');
  }
  return { rows: w.rows, cols: w.cols, w0: w.data, h, w0h, reference };
}

/**
 * out_r = w_r·H for rows [rowStart, rowEnd) (f64). Four rows share each pass over a row of H, so H is
 * read from memory a quarter as often; a column k where all four rows are zero is skipped.
 */
function productRows(
  w: Float32Array,
  h: Float64Array,
  n: number,
  rowStart: number,
  rowEnd: number,
  out: Float64Array,
): void {
  out.fill(0, rowStart * n, rowEnd * n);
  for (let r = rowStart; r < rowEnd; r += 4) {
    if (rowEnd - r < 4) {
      productRowsOneByOne(w, h, n, r, rowEnd, out);
      return;
    }
    const o0 = r * n;
    const o1 = o0 + n;
    const o2 = o1 + n;
    const o3 = o2 + n;
    for (let k = 0; k < n; k++) {
      const x0 = w[o0 + k] as number;
      const x1 = w[o1 + k] as number;
      const x2 = w[o2 + k] as number;
      const x3 = w[o3 + k] as number;
      if (x0 === 0 && x1 === 0 && x2 === 0 && x3 === 0) continue;
      const base = k * n;
      for (let j = 0; j < n; j++) {
        const hj = h[base + j] as number;
        out[o0 + j] = (out[o0 + j] as number) + x0 * hj;
        out[o1 + j] = (out[o1 + j] as number) + x1 * hj;
        out[o2 + j] = (out[o2 + j] as number) + x2 * hj;
        out[o3 + j] = (out[o3 + j] as number) + x3 * hj;
      }
    }
  }
}

/** The remaining (fewer than four) rows of productRows; `out` is already zeroed. */
function productRowsOneByOne(
  w: Float32Array,
  h: Float64Array,
  n: number,
  rowStart: number,
  rowEnd: number,
  out: Float64Array,
): void {
  for (let r = rowStart; r < rowEnd; r++) {
    const o = r * n;
    for (let k = 0; k < n; k++) {
      const x = w[o + k] as number;
      if (x === 0) continue;
      const base = k * n;
      for (let j = 0; j < n; j++) out[o + j] = (out[o + j] as number) + x * (h[base + j] as number);
    }
  }
}

/** H = X·Xᵀ accumulated in f64 (upper triangle, mirrored). */
function gram(inputs: MatrixLike, n: number): Float64Array {
  const x = toMatrix(inputs, 'inputs');
  if (x.rows !== n) {
    throw new NmsparseError(
      'E_SHAPE',
      `inputs has ${x.rows} rows but weights has ${n} columns; X must be in × samples (transpose it if it is samples × in)`,
    );
  }
  const s = x.cols;
  const h = new Float64Array(n * n);
  const row = new Float64Array(s);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < s; k++) row[k] = x.data[i * s + k] as number;
    for (let j = i; j < n; j++) {
      let acc = 0;
      const base = j * s;
      for (let k = 0; k < s; k++) acc += (row[k] as number) * (x.data[base + k] as number);
      h[i * n + j] = acc;
      h[j * n + i] = acc;
    }
  }
  return h;
}

/** A given H, checked and symmetrised ((H + Hᵀ)/2). */
function hessian(input: MatrixLike, n: number): Float64Array {
  const m = toMatrix(input, 'hessian');
  if (m.rows !== n || m.cols !== n) {
    throw new NmsparseError('E_SHAPE', `hessian is ${m.rows}×${m.cols} but must be in × in = ${n}×${n} (H = X·Xᵀ)`);
  }
  const h = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) h[i * n + j] = 0.5 * ((m.data[i * n + j] as number) + (m.data[j * n + i] as number));
  }
  for (let i = 0; i < n; i++) {
    if ((h[i * n + i] as number) < 0) {
      throw new NmsparseError('E_SHAPE', `hessian[${i}, ${i}] is negative; H = X·Xᵀ must be positive semidefinite`);
    }
  }
  return h;
}

/** out_r = 2·(w_r − w₀_r)·H = 2·(w_r·H − (W₀H)_r) for rows [rowStart, rowEnd) (the loss gradient). */
export function lossGradientRows(
  p: LayerProblem,
  w: Float32Array,
  rowStart: number,
  rowEnd: number,
  out: Float64Array,
): void {
  productRows(w, p.h, p.cols, rowStart, rowEnd, out);
  for (let i = rowStart * p.cols; i < rowEnd * p.cols; i++) out[i] = 2 * ((out[i] as number) - (p.w0h[i] as number));
}

/** ‖(W − W₀)X‖²_F = Σ_r d_rᵀ H d_r (f64). */
export function quadraticLoss(p: LayerProblem, w: Float32Array): number {
  const n = p.cols;
  const d = new Float64Array(n);
  let total = 0;
  for (let r = 0; r < p.rows; r++) {
    for (let k = 0; k < n; k++) d[k] = (w[r * n + k] as number) - (p.w0[r * n + k] as number);
    for (let i = 0; i < n; i++) {
      const di = d[i] as number;
      if (di === 0) continue;
      let acc = 0;
      const base = i * n;
      for (let j = 0; j < n; j++) acc += (p.h[base + j] as number) * (d[j] as number);
      total += di * acc;
    }
  }
  return total;
}

/** ‖(W − W₀)X‖² / ‖W₀X‖² (0 for an all-zero layer). */
export function relativeLoss(p: LayerProblem, w: Float32Array): number {
  return p.reference === 0 ? 0 : quadraticLoss(p, w) / p.reference;
}

/** Power iterations for λmax(H); more than enough for a step size with the safety margin below. */
const POWER_ITERATIONS = 100;
/** Power iteration approaches λmax from below; a step of 1/(margin·L) keeps the iteration stable. */
export const STEP_MARGIN = 1.05;

/**
 * Largest eigenvalue of the symmetric PSD matrix H by power iteration, from a fixed irregular start
 * (a constant start could be orthogonal to the top eigenvector of a structured H).
 */
export function largestEigenvalue(h: Float64Array, n: number): number {
  let v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = 1 + 0.5 * Math.sin(i + 1);
  let next = new Float64Array(n);
  let estimate = 0;
  for (let it = 0; it < POWER_ITERATIONS; it++) {
    let norm = 0;
    for (let i = 0; i < n; i++) {
      let acc = 0;
      for (let j = 0; j < n; j++) acc += (h[i * n + j] as number) * (v[j] as number);
      next[i] = acc;
      norm += acc * acc;
    }
    norm = Math.sqrt(norm);
    if (norm === 0) return 0;
    estimate = norm;
    for (let i = 0; i < n; i++) next[i] = (next[i] as number) / norm;
    [v, next] = [next, v];
  }
  return estimate;
}
