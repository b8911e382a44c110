import type { MatrixLike } from '../core/matrix.js';
import { largestEigenvalue, layerProblem, STEP_MARGIN, type LayerData, type LayerProblem } from './problem.js';
import { refitOnMask } from './result.js';
import { topTwoMask } from './mask24.js';
import { now, resolvePruneOptions, type PruneMethod, type PruneOptions, type PruneResult } from './pruneOptions.js';

/** Magnitude 2:4: keep the two largest |w| of every group of 4, then the same refit as the prox pruner. */
export function magnitudePrune24(weights: MatrixLike, data: LayerData, options?: PruneOptions): Promise<PruneResult> {
  return scorePrune('magnitude', weights, data, options, (p) => p.w0.map(Math.abs));
}

/** Wanda 2:4 (Sun et al. 2023): keep the two largest |w_ij|·‖x_j‖ of every group of 4, then the refit. */
export function wandaPrune24(weights: MatrixLike, data: LayerData, options?: PruneOptions): Promise<PruneResult> {
  return scorePrune('wanda', weights, data, options, (p) => {
    const n = p.cols;
    return p.w0.map((x, i) => Math.abs(x) * Math.sqrt(p.h[(i % n) * n + (i % n)] as number));
  });
}

async function scorePrune(
  method: PruneMethod,
  weights: MatrixLike,
  data: LayerData,
  options: PruneOptions | undefined,
  score: (p: LayerProblem) => Float32Array,
): Promise<PruneResult> {
  const start = now();
  const o = resolvePruneOptions(options);
  const p = layerProblem(weights, data);
  const mask = topTwoMask(score(p), p.rows, p.cols);
  const lipschitz = o.update === 'gradient' ? STEP_MARGIN * 2 * largestEigenvalue(p.h, p.cols) : 0;
  return refitOnMask(p, mask, p.w0, o, lipschitz, method, start, { history: [] });
}
