import { NmsparseError } from '../core/errors.js';
import { toMatrix, type MatrixLike } from '../core/matrix.js';
import type { Linalg } from './linalg.js';

/** Calibration data for a linear layer: the inputs X (layout given by the `layout` option) or H = XᵀX (in × in). */
export type LayerData = { inputs: MatrixLike } | { hessian: MatrixLike };

/** How the calibration inputs are laid out: samples × in (PyTorch activations) or in × samples. */
export type InputLayout = 'samples-by-features' | 'features-by-samples';
export const INPUT_LAYOUTS: readonly InputLayout[] = ['samples-by-features', 'features-by-samples'];

/**
 * A layer-wise pruning problem: W₀ (rows × cols, cols = in) and H = XᵀX (cols × cols, f64; also in f32
 * for the products). The local loss of W is ‖(W − W₀)Xᵀ‖²_F = Σ_r (w_r − w₀_r)ᵀ H (w_r − w₀_r).
 */
export interface LayerProblem {
  readonly rows: number;
  readonly cols: number;
  readonly w0: Float32Array;
  readonly h: Float64Array;
  readonly hF32: Float32Array;
  /**
   * W₀·H (rows × cols, f64): the gradient is 2(W·H − W₀·H), the exact refit's right-hand side W₀·H.
   * Computed on first use (a full product, which SparseGPT and the updates-free methods never need).
   */
  product(): Promise<Float64Array>;
  /** ‖W₀Xᵀ‖²_F, the denominator of the relative loss. */
  readonly reference: number;
}

/**
 * Checks W₀ and the calibration data and builds the problem. `groupCols` (and `groupRows`, for
 * transposable patterns) must divide the weight's shape.
 */
export async function layerProblem(
  weights: MatrixLike,
  data: LayerData,
  layout: InputLayout,
  linalg: Linalg,
  shape: { m: number; transposable: boolean },
): Promise<LayerProblem> {
  const w = toMatrix(weights, 'weights');
  const { m, transposable } = shape;
  if (w.cols % m !== 0 || (transposable && w.rows % m !== 0)) {
    throw new NmsparseError(
      'E_SHAPE',
      transposable
        ? `weights is ${w.rows}×${w.cols} (out × in); transposable ${m}×${m} tiles need both dimensions multiples of M = ${m}`
        : `weights is ${w.rows}×${w.cols} (out × in); N:M groups run along the input dimension, so in must be a multiple of M = ${m}`,
    );
  }
  if (data === null || typeof data !== 'object' || (!('inputs' in data) && !('hessian' in data))) {
    throw new NmsparseError(
      'E_OPTION',
      'pass the calibration data as { inputs: X } (with its layout option) or { hessian: H } (in × in)',
    );
  }
  const h = 'inputs' in data ? await gram(data.inputs, w.cols, layout, linalg) : hessian(data.hessian, w.cols);
  const hF32 = new Float32Array(h);
  const reference = await quadraticForm(h, w.data, w.rows, w.cols, linalg);
  if (!(reference > 0) && w.data.some((x) => x !== 0)) {
    throw new NmsparseError('E_SHAPE', 'W₀·Xᵀ is zero for every row: the inputs carry no signal to preserve');
  }
  const product = once(async () =>
    new Float64Array(await linalg.gemm(w.data, hF32, new Float32Array(w.rows * w.cols), { m: w.rows, k: w.cols, n: w.cols })),
  );
  return { rows: w.rows, cols: w.cols, w0: w.data, h, hF32, product, reference };
}

/** `make`, run on the first call only; later calls share its promise. */
export function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

/**
 * Σ_r d_rᵀ H d_r for D (rows × n) and a symmetric H, as ⟨H, DᵀD⟩_F: the Gram matrix DᵀD (upper
 * triangle, f64 sums) costs half the multiply-adds of the product D·H. Clamped at 0 (H is PSD, so only
 * rounding could make it negative).
 */
export async function quadraticForm(h: Float64Array, d: Float32Array, rows: number, n: number, linalg: Linalg): Promise<number> {
  const g = await linalg.gram(d, rows, n, false);
  let total = 0;
  for (let i = 0; i < n; i++) {
    let off = 0;
    for (let j = i + 1; j < n; j++) off += (h[i * n + j]) * (g[i * n + j]);
    total += (h[i * n + i]) * (g[i * n + i]) + 2 * off;
  }
  return Math.max(0, total);
}

/** H = XᵀX (f64), X in the stated layout; a shape that only fits the other layout says so. */
async function gram(inputs: MatrixLike, n: number, layout: InputLayout, linalg: Linalg): Promise<Float64Array> {
  const x = toMatrix(inputs, 'inputs');
  const featuresBySamples = layout === 'features-by-samples';
  const features = featuresBySamples ? x.rows : x.cols;
  if (features !== n) {
    const other = featuresBySamples ? x.cols : x.rows;
    const stated = featuresBySamples ? 'in × samples' : 'samples × in';
    const hint =
      other === n
        ? `; it looks like ${featuresBySamples ? 'samples × in' : 'in × samples'}: pass layout: '${featuresBySamples ? 'samples-by-features' : 'features-by-samples'}'`
        : '';
    throw new NmsparseError(
      'E_SHAPE',
      `inputs is ${x.rows}×${x.cols} but layout '${layout}' wants ${stated} with in = ${n} (the weights' columns)${hint}`,
    );
  }
  return linalg.gram(x.data, x.rows, x.cols, featuresBySamples);
}

/** A given H, checked and symmetrised ((H + Hᵀ)/2). */
function hessian(input: MatrixLike, n: number): Float64Array {
  const m = toMatrix(input, 'hessian');
  if (m.rows !== n || m.cols !== n) {
    throw new NmsparseError('E_SHAPE', `hessian is ${m.rows}×${m.cols} but must be in × in = ${n}×${n} (H = XᵀX)`);
  }
  const h = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) h[i * n + j] = 0.5 * ((m.data[i * n + j]) + (m.data[j * n + i]));
  }
  for (let i = 0; i < n; i++) {
    if ((h[i * n + i]) < 0) {
      throw new NmsparseError('E_SHAPE', `hessian[${i}, ${i}] is negative; H = XᵀX must be positive semidefinite`);
    }
  }
  return h;
}

/** W·H (f32, rows × cols), into `out` when given. */
export function productWithH(p: LayerProblem, w: Float32Array, linalg: Linalg, out = new Float32Array(p.rows * p.cols)): Promise<Float32Array> {
  return linalg.gemm(w, p.hF32, out, { m: p.rows, k: p.cols, n: p.cols });
}

/** The loss gradient 2(W − W₀)·H (f64). */
export async function lossGradient(p: LayerProblem, w: Float32Array, linalg: Linalg): Promise<Float64Array> {
  const [wh, w0h] = await Promise.all([productWithH(p, w, linalg), p.product()]);
  const out = new Float64Array(wh.length);
  for (let i = 0; i < wh.length; i++) out[i] = 2 * ((wh[i]) - (w0h[i]));
  return out;
}

/** ‖(W − W₀)Xᵀ‖²_F = Σ_r d_rᵀ H d_r with D = W − W₀ (no cancellation between two large forms). */
export function quadraticLoss(p: LayerProblem, w: Float32Array, linalg: Linalg): Promise<number> {
  return quadraticForm(p.h, w.map((x, i) => x - (p.w0[i])), p.rows, p.cols, linalg);
}

/** The relative loss of w from its product with H: Σ_r (w_r − w₀_r)·(w_r·H − (W₀H)_r) / ‖W₀Xᵀ‖². */
export function relativeLossFromProduct(p: LayerProblem, w0h: Float64Array, w: Float32Array, wh: ArrayLike<number>): number {
  if (p.reference === 0) return 0;
  let total = 0;
  for (let i = 0; i < w.length; i++) total += ((w[i]) - (p.w0[i])) * ((wh[i]) - (w0h[i]));
  return Math.max(0, total) / p.reference;
}

/** ‖(W − W₀)Xᵀ‖² / ‖W₀Xᵀ‖² (0 for an all-zero layer). */
export async function relativeLoss(p: LayerProblem, w: Float32Array, linalg: Linalg): Promise<number> {
  return p.reference === 0 ? 0 : (await quadraticLoss(p, w, linalg)) / p.reference;
}

/** Mean of diag(H) (1 for an all-zero H, so that relative ridges and dampening stay positive). */
export function meanDiagonal(h: Float64Array, n: number): number {
  let trace = 0;
  for (let i = 0; i < n; i++) trace += h[i * n + i];
  return trace / n || 1;
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
      for (let j = 0; j < n; j++) acc += (h[i * n + j]) * (v[j]);
      next[i] = acc;
      norm += acc * acc;
    }
    norm = Math.sqrt(norm);
    if (norm === 0) return 0;
    estimate = norm;
    for (let i = 0; i < n; i++) next[i] = (next[i]) / norm;
    [v, next] = [next, v];
  }
  return estimate;
}
