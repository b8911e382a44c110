import { NmsparseError, throwIfAborted } from '../core/errors.js';
import { choleskySolve4 } from './cholesky.js';
import { lossGradientRows, type LayerProblem } from './problem.js';
import { yieldToEventLoop } from '../core/chunks.js';
import { describeValue } from '../core/matrix.js';

/** How the kept weights are refit once the mask is fixed. */
export type UpdateMethod = 'gradient' | 'exact' | 'none';
export const UPDATE_METHODS: readonly UpdateMethod[] = ['gradient', 'exact', 'none'];

export function validateUpdate(update: unknown): asserts update is UpdateMethod {
  if (!UPDATE_METHODS.includes(update as UpdateMethod)) {
    throw new NmsparseError('E_OPTION', `update must be one of ${UPDATE_METHODS.join(', ')}; got ${describeValue(update)}`);
  }
}

export interface UpdateSettings {
  /** Masked FISTA iterations for 'gradient'. */
  iterations: number;
  /** Step 1/L with L ≥ 2·λmax(H). */
  lipschitz: number;
  /** Relative ridge for 'exact' (times mean diag H). */
  ridge: number;
  signal?: AbortSignal;
}

/** Minimises the local loss over the weights the mask keeps, starting from `start` (masked). */
export async function maskedUpdate(
  p: LayerProblem,
  mask: Uint8Array,
  start: Float32Array,
  method: UpdateMethod,
  settings: UpdateSettings,
): Promise<Float32Array> {
  const w = Float32Array.from(start, (x, i) => (mask[i] ? x : 0));
  if (method === 'none') return w;
  if (method === 'gradient') return maskedGradient(p, mask, w, settings);
  return exactRows(p, mask, settings);
}

/** FISTA on the quadratic loss restricted to the mask (projection = zeroing the pruned entries). */
async function maskedGradient(
  p: LayerProblem,
  mask: Uint8Array,
  w: Float32Array,
  settings: UpdateSettings,
): Promise<Float32Array> {
  const grad = new Float64Array(w.length);
  let y = Float32Array.from(w);
  let t = 1;
  for (let it = 0; it < settings.iterations; it++) {
    throwIfAborted(settings.signal);
    lossGradientRows(p, y, 0, p.rows, grad);
    const next = new Float32Array(w.length);
    for (let i = 0; i < w.length; i++) {
      if (mask[i]) next[i] = (y[i] as number) - (grad[i] as number) / settings.lipschitz;
    }
    const tNext = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
    const beta = (t - 1) / tNext;
    for (let i = 0; i < w.length; i++) {
      y[i] = (next[i] as number) + beta * ((next[i] as number) - (w[i] as number));
    }
    w = next;
    t = tNext;
    if (it % 8 === 7) await yieldToEventLoop();
  }
  return w;
}

/**
 * Per row, the exact least squares on the support S: (H_SS + δI)·w_S = H_{S,:}·w₀. δ = ridge·mean(diag H)
 * only guards a singular H_SS (fewer samples than kept inputs, or dead inputs); it is raised ×100 until
 * the Cholesky factorisation succeeds.
 */
async function exactRows(p: LayerProblem, mask: Uint8Array, settings: UpdateSettings): Promise<Float32Array> {
  const n = p.cols;
  let trace = 0;
  for (let i = 0; i < n; i++) trace += p.h[i * n + i] as number;
  const baseRidge = settings.ridge * (trace / n || 1);
  const out = new Float32Array(p.rows * n);
  const support = new Int32Array(n);
  for (let r = 0; r < p.rows; r++) {
    throwIfAborted(settings.signal);
    let k = 0;
    for (let j = 0; j < n; j++) if (mask[r * n + j]) support[k++] = j;
    // H_{S,:}·w₀ = (w₀·H)_S since H is symmetric.
    const rhs = new Float64Array(k);
    for (let a = 0; a < k; a++) rhs[a] = p.w0h[r * n + (support[a] as number)] as number;
    const solution = solveRidged(p.h, n, support, k, rhs, baseRidge);
    for (let a = 0; a < k; a++) out[r * n + (support[a] as number)] = solution[a] as number;
    if (r % 16 === 15) await yieldToEventLoop();
  }
  return out;
}

function solveRidged(
  h: Float64Array,
  n: number,
  support: Int32Array,
  k: number,
  rhs: Float64Array,
  ridge: number,
): Float64Array {
  // Padded to a multiple of 4 with identity rows (and zero right-hand side), which leave the first k
  // unknowns unchanged.
  const size = Math.ceil(k / 4) * 4;
  const b = new Float64Array(size);
  b.set(rhs);
  for (let delta = ridge; ; delta *= 100) {
    const a = new Float64Array(size * size);
    for (let i = 0; i < k; i++) {
      const base = (support[i] as number) * n;
      for (let j = 0; j <= i; j++) a[i * size + j] = h[base + (support[j] as number)] as number;
      a[i * size + i] = (a[i * size + i] as number) + delta;
    }
    for (let i = k; i < size; i++) a[i * size + i] = 1;
    const x = choleskySolve4(a, size, b);
    if (x) return x.subarray(0, k);
  }
}
