import { NmsparseError, throwIfAborted } from '../core/errors.js';
import { yieldToEventLoop } from '../core/chunks.js';
import { describeValue } from '../core/matrix.js';
import { lossGradient, meanDiagonal, type LayerProblem } from './problem.js';
import type { Linalg } from './linalg.js';

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
  linalg: Linalg;
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
  const w = start.map((x, i) => (mask[i] ? x : 0));
  if (method === 'none') return w;
  if (method === 'gradient') return maskedGradient(p, mask, w, settings);
  throwIfAborted(settings.signal);
  // Per row, (H_SS + δI)·w_S = (W₀H)_S on the support S, batched Cholesky; δ only guards a singular H_SS.
  const ridge = settings.ridge * meanDiagonal(p.h, p.cols);
  return settings.linalg.refitRows(p.h, p.cols, mask, await p.product(), ridge, p.rows, { signal: settings.signal });
}

/** FISTA on the quadratic loss restricted to the mask (projection = zeroing the pruned entries). */
async function maskedGradient(
  p: LayerProblem,
  mask: Uint8Array,
  w: Float32Array,
  settings: UpdateSettings,
): Promise<Float32Array> {
  const y = w.slice();
  let t = 1;
  for (let it = 0; it < settings.iterations; it++) {
    throwIfAborted(settings.signal);
    const grad = await lossGradient(p, y, settings.linalg);
    const next = new Float32Array(w.length);
    for (let i = 0; i < w.length; i++) {
      if (mask[i]) next[i] = (y[i]) - (grad[i]) / settings.lipschitz;
    }
    const tNext = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
    const beta = (t - 1) / tNext;
    for (let i = 0; i < w.length; i++) {
      y[i] = (next[i]) + beta * ((next[i]) - (w[i]));
    }
    w = next;
    t = tNext;
    if (it % 8 === 7) await yieldToEventLoop();
  }
  return w;
}
