import { NmsparseError } from '../core/errors.js';
import { toMatrix, type MatrixLike } from '../core/matrix.js';
import { gramMatrix } from './gram.js';
import { symmetricProductRows } from './product.js';

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
  symmetricProductRows(w.data, h, w.cols, 0, w.rows, w0h);
  let reference = 0;
  for (let i = 0; i < w0h.length; i++) reference += (w.data[i] as number) * (w0h[i] as number);
  if (reference === 0 && w.data.some((x) => x !== 0)) {
    throw new NmsparseError('E_SHAPE', 'W₀·X is zero for every row: the inputs carry no signal to preserve');
  }
  return { rows: w.rows, cols: w.cols, w0: w.data, h, w0h, reference };
}

/** H = X·Xᵀ accumulated in f64. */
function gram(inputs: MatrixLike, n: number): Float64Array {
  const x = toMatrix(inputs, 'inputs');
  if (x.rows !== n) {
    throw new NmsparseError(
      'E_SHAPE',
      `inputs has ${x.rows} rows but weights has ${n} columns; X must be in × samples (transpose it if it is samples × in)`,
    );
  }
  return gramMatrix(x.data, n, x.cols);
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
  symmetricProductRows(w, p.h, p.cols, rowStart, rowEnd, out);
  for (let i = rowStart * p.cols; i < rowEnd * p.cols; i++) out[i] = 2 * ((out[i] as number) - (p.w0h[i] as number));
}

/** Rows per product in quadraticLoss (bounds its scratch to LOSS_ROWS × cols). */
const LOSS_ROWS = 16;

/** ‖(W − W₀)X‖²_F = Σ_r (w_r − w₀_r)·(w_r·H − (W₀H)_r) (f64). */
export function quadraticLoss(p: LayerProblem, w: Float32Array): number {
  const n = p.cols;
  const wh = new Float64Array(LOSS_ROWS * n);
  let total = 0;
  for (let r = 0; r < p.rows; r += LOSS_ROWS) {
    const end = Math.min(p.rows, r + LOSS_ROWS);
    symmetricProductRows(w, p.h, n, r, end, wh, 0);
    for (let i = r * n; i < end * n; i++) {
      total += ((w[i] as number) - (p.w0[i] as number)) * ((wh[i - r * n] as number) - (p.w0h[i] as number));
    }
  }
  // A PSD quadratic form: rounding must not report a negative loss.
  return Math.max(0, total);
}

/** The relative loss of w from its product with H: Σ_r (w_r − w₀_r)·(w_r·H − (W₀H)_r) / ‖W₀X‖². */
export function relativeLossFromProduct(p: LayerProblem, w: Float32Array, wh: Float64Array): number {
  if (p.reference === 0) return 0;
  let total = 0;
  for (let i = 0; i < w.length; i++) total += ((w[i] as number) - (p.w0[i] as number)) * ((wh[i] as number) - (p.w0h[i] as number));
  return Math.max(0, total) / p.reference;
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
