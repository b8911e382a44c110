import { NmsparseError, throwIfAborted } from '../core/errors.js';
import '../backends/all.js';
import { resolveBackend, runKernel } from '../backends/registry.js';
import type { MatrixLike } from '../core/matrix.js';
import {
  largestEigenvalue,
  layerProblem,
  relativeLossFromProduct,
  STEP_MARGIN,
  type LayerData,
} from './problem.js';
import { symmetricProductRows } from './product.js';
import { refitOnMask } from './result.js';
import { maskFromSparse, sparseGroupFraction } from './mask24.js';
import { now, resolvePruneOptions, type ProxPruneOptions, type PruneHistoryEntry, type PruneResult } from './pruneOptions.js';

/** From this fraction of 2:4 groups on, λ grows by tailGrowth. */
const TAIL_FRACTION = 0.99;

/**
 * Prunes a linear layer to 2:4 with the proximal method (Kübler et al. 2025): minimise
 * ‖(W − W₀)X‖²_F + λ·R(W) by FISTA with step 1/L (L = 2·λmax(H)), raising λ geometrically (by
 * `growth`, then `tailGrowth` once 99% of the groups are 2:4) until every group of 4 is 2:4, with one
 * momentum sequence along the whole λ path; then the support is fixed and the kept weights are refit
 * (`update`). Each FISTA iteration costs one rows × cols by cols × cols product and one prox.
 */
export async function pruneLayer24(
  weights: MatrixLike,
  data: LayerData,
  options?: ProxPruneOptions,
): Promise<PruneResult> {
  const start = now();
  const o = resolvePruneOptions(options);
  const p = layerProblem(weights, data);
  // The prox kernel's backend, as resolved once for the whole run (and as it ran, after a fallback).
  let backend = await resolveBackend(o.backend);
  const lipschitz = STEP_MARGIN * 2 * largestEigenvalue(p.h, p.cols);
  const size = p.rows * p.cols;
  let rms = 0;
  for (let i = 0; i < size; i++) rms += (p.w0[i] as number) ** 2;
  rms = Math.sqrt(rms / size);

  let w: Float32Array = Float32Array.from(p.w0);
  const history: PruneHistoryEntry[] = [];
  if (lipschitz > 0 && rms > 0 && sparseGroupFraction(w) < 1) {
    // FISTA keeps the products of its prox outputs with H: y·H is then a combination of two of them
    // (y = w + β(w − w_prev)), and the loss of every level's last iterate comes for free.
    let wh = Float64Array.from(p.w0h);
    const yh = Float64Array.from(p.w0h);
    let nextH = new Float64Array(size);
    const y = Float32Array.from(w);
    const z = new Float32Array(size);
    let t = 1;
    const scale = 2 / lipschitz;
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
      // FISTA at this λ; the momentum carries over from the previous level (restarting it at every
      // level measured ~2-5% higher losses with twice the iterations).
      for (let it = 0; it < o.iterationsPerLevel; it++) {
        throwIfAborted(o.signal);
        // z = y − ∇/L with ∇ = 2(y·H − W₀·H).
        for (let i = 0; i < size; i++) {
          z[i] = (y[i] as number) - scale * ((yh[i] as number) - (p.w0h[i] as number));
        }
        const prox = await runKernel('prox24', backend, size, { z, lambda: tau }, { signal: o.signal });
        const next = prox.value;
        backend = prox.backend;
        symmetricProductRows(next, p.h, p.cols, 0, p.rows, nextH);
        const tNext = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
        const beta = (t - 1) / tNext;
        for (let i = 0; i < size; i++) {
          const x = next[i] as number;
          const xh = nextH[i] as number;
          y[i] = x + beta * (x - (w[i] as number));
          yh[i] = xh + beta * (xh - (wh[i] as number));
        }
        [wh, nextH] = [nextH, wh];
        w = next;
        t = tNext;
      }
      const sparseFraction = sparseGroupFraction(w);
      history.push({ lambda: tau * lipschitz, loss: relativeLossFromProduct(p, w, wh), sparseFraction });
      o.onProgress?.({ done: level + 1, total: sparseFraction === 1 ? level + 1 : Math.max(level + 2, expectedLevels) });
      if (sparseFraction === 1) break;
      tau *= sparseFraction >= TAIL_FRACTION ? o.tailGrowth : o.growth;
    }
  }
  const mask = maskFromSparse(w, p.w0);
  return refitOnMask(p, mask, w, o, lipschitz, 'prox', start, { history, backend });
}
