import { NmsparseError, throwIfAborted } from '../errors.js';
import { resolveBackend } from '../backends/backend.js';
import '../backends/all.js';
import type { MatrixLike } from '../matrix.js';
import {
  largestEigenvalue,
  layerProblem,
  lossGradientRows,
  relativeLoss,
  relativeLossFromGradient,
  STEP_MARGIN,
  type LayerData,
} from './problem.js';
import { maskedUpdate } from './update.js';
import { maskFromSparse, sparseGroupFraction } from './mask24.js';
import { now, resolvePruneOptions, type ProxPruneOptions, type PruneHistoryEntry, type PruneResult } from './options.js';

/** From this fraction of 2:4 groups on, λ grows by tailGrowth. */
const TAIL_FRACTION = 0.99;

/**
 * Prunes a linear layer to 2:4 with the proximal method (Kübler et al. 2025): minimise
 * ‖(W − W₀)X‖²_F + λ·R(W) by FISTA with step 1/L (L = 2·λmax(H)), raising λ geometrically until every
 * group of 4 is 2:4; then the support is fixed and the kept weights are refit (`update`).
 */
export async function pruneLayer24(
  weights: MatrixLike,
  data: LayerData,
  options?: ProxPruneOptions,
): Promise<PruneResult> {
  const start = now();
  const o = resolvePruneOptions(options);
  const p = layerProblem(weights, data);
  const backend = await resolveBackend(o.backend);
  const lipschitz = STEP_MARGIN * 2 * largestEigenvalue(p.h, p.cols);
  const size = p.rows * p.cols;
  let rms = 0;
  for (let i = 0; i < size; i++) rms += (p.w0[i] as number) ** 2;
  rms = Math.sqrt(rms / size);

  let w: Float32Array = Float32Array.from(p.w0);
  const history: PruneHistoryEntry[] = [];
  if (lipschitz > 0 && rms > 0 && sparseGroupFraction(w) < 1) {
    const grad = new Float64Array(size);
    // The gradient at w: zero at w = W₀; after each level it gives the level's loss and is the first
    // FISTA gradient of the next level (whose momentum restarts at y = w).
    const gradAtW = new Float64Array(size);
    const y = new Float32Array(size);
    const z = new Float32Array(size);
    // Prox strength τ = λ/L; it starts at initialStrength/rms(W₀) and grows by `growth` per level.
    let tau = o.initialStrength / rms;
    // Every group is 2:4 once τ·max|z| > 4 (the prox's top-two bound); z stays near W₀ in scale.
    let largest = 0;
    for (let i = 0; i < size; i++) largest = Math.max(largest, Math.abs(p.w0[i] as number));
    const expectedLevels = Math.ceil(Math.log(4 / (tau * largest)) / Math.log(o.growth)) + 1;
    for (let level = 0; ; level++) {
      if (level === o.maxLevels) {
        throw new NmsparseError(
          'E_OPTION',
          `the prox did not reach 2:4 within maxLevels = ${o.maxLevels} λ levels; raise maxLevels or growth`,
        );
      }
      // FISTA at this λ, momentum restarted (warm start from the previous level).
      y.set(w);
      let t = 1;
      for (let it = 0; it < o.iterationsPerLevel; it++) {
        throwIfAborted(o.signal);
        if (it > 0) lossGradientRows(p, y, 0, p.rows, grad);
        const g = it > 0 ? grad : gradAtW;
        for (let i = 0; i < size; i++) z[i] = (y[i] as number) - (g[i] as number) / lipschitz;
        const next = await backend.prox24(z, tau, { signal: o.signal });
        const tNext = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
        const beta = (t - 1) / tNext;
        for (let i = 0; i < size; i++) y[i] = (next[i] as number) + beta * ((next[i] as number) - (w[i] as number));
        w = next;
        t = tNext;
      }
      lossGradientRows(p, w, 0, p.rows, gradAtW);
      const sparseFraction = sparseGroupFraction(w);
      history.push({ lambda: tau * lipschitz, loss: relativeLossFromGradient(p, w, gradAtW), sparseFraction });
      o.onProgress?.({ done: level + 1, total: sparseFraction === 1 ? level + 1 : Math.max(level + 2, expectedLevels) });
      if (sparseFraction === 1) break;
      tau *= sparseFraction >= TAIL_FRACTION ? o.tailGrowth : o.growth;
    }
  }
  const mask = maskFromSparse(w, p.w0);
  const pruned = await maskedUpdate(p, mask, w, o.update, {
    iterations: o.updateIterations,
    lipschitz,
    ridge: o.ridge,
    signal: o.signal,
  });
  return {
    weights: pruned,
    mask,
    rows: p.rows,
    cols: p.cols,
    method: 'prox',
    update: o.update,
    relativeLoss: relativeLoss(p, pruned),
    history,
    backend: backend.name,
    seconds: (now() - start) / 1000,
  };
}
