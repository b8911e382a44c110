/**
 * The 2:4 proximal pruner's λ path (Kübler et al. 2025): minimise ‖(W − W₀)Xᵀ‖²_F + λ·R(W) by FISTA with
 * step 1/L (L = 2·λmax(H)), raising λ geometrically (by `growth`, then `tailGrowth` once 99% of the
 * groups are 2:4) until every group of 4 is 2:4, with one momentum sequence along the whole path.
 * A level ends after `iterationsPerLevel` iterations or once an iteration moves W by less than
 * `levelTolerance` relative to ‖W‖ (its iterate has converged for this λ).
 *
 * Preconditioning (default): FISTA moves feature j by about H_jj/λmax(H) of the way per iteration, so
 * features of low variance hardly move before their groups are decided (measured: 1e-3 to 4e-4 on badly
 * scaled layers, where the prox then loses to Wanda). The path runs instead on W' = W·D, X' = D⁻¹X with
 * D = diag(√H_jj) — every input column of unit norm, the loss unchanged — and maps back W = W'·D⁻¹.
 * The regulariser then ranks groups by |w_rj|·‖x_j‖, Wanda's score, and H' = D⁻¹HD⁻¹ has unit diagonal.
 */
import { NmsparseError, throwIfAborted } from '../core/errors.js';
import { runKernel } from '../backends/registry.js';
import type { BackendName } from '../core/types.js';
import { largestEigenvalue, productWithH, relativeLossFromProduct, STEP_MARGIN, type LayerProblem } from './problem.js';
import { maskFromSparse, sparseGroupFraction } from './mask24.js';
import type { Linalg } from './linalg.js';
import { featureScaling } from './scaling.js';
import type { PruneHistoryEntry, ResolvedPruneOptions } from './pruneOptions.js';

/** Once this fraction of groups is 2:4, λ grows by tailGrowth. */
const TAIL_FRACTION = 0.99;

export interface ProxPathResult {
  /** The last iterate (every group 2:4), in the original scaling. */
  weights: Float32Array;
  /** Its support as an exact 2:4 mask. */
  mask: Uint8Array;
  history: PruneHistoryEntry[];
  /** The backend that ran the prox kernel (after any fallback). */
  backend: BackendName;
}

export async function proxPath(p: LayerProblem, o: ResolvedPruneOptions, backend: BackendName, linalg: Linalg): Promise<ProxPathResult> {
  const scaling = o.precondition ? featureScaling(p) : undefined;
  const q = scaling ? scaling.problem : p;
  const { w, history, ran } = await fista(q, o, backend, linalg);
  const mask = maskFromSparse(w, q.w0);
  return { weights: scaling ? scaling.unscale(w) : w, mask, history, backend: ran };
}

async function fista(
  p: LayerProblem,
  o: ResolvedPruneOptions,
  backend: BackendName,
  linalg: Linalg,
): Promise<{ w: Float32Array; history: PruneHistoryEntry[]; ran: BackendName }> {
  const lipschitz = STEP_MARGIN * 2 * largestEigenvalue(p.h, p.cols);
  const size = p.rows * p.cols;
  let rms = 0;
  let largest = 0;
  for (let i = 0; i < size; i++) {
    rms += (p.w0[i]) ** 2;
    largest = Math.max(largest, Math.abs(p.w0[i]));
  }
  rms = Math.sqrt(rms / size);
  let w: Float32Array = p.w0.slice();
  const history: PruneHistoryEntry[] = [];
  if (!(lipschitz > 0 && rms > 0 && sparseGroupFraction(w) < 1)) return { w, history, ran: backend };
  // FISTA keeps the products of its prox outputs with H: y·H is then a combination of two of them
  // (y = w + β(w − w_prev)), and the loss of every level's last iterate comes for free. Neither y nor
  // y·H is stored: one pass over the new iterate forms the next gradient step z = y − ∇/L at once.
  const w0h = await p.product();
  const wh = new Float32Array(w0h);
  // The first y is W₀, where ∇ = 0: z = W₀.
  const z = w.slice();
  // Every iteration writes into the same buffers: the prox output into the one the iterate before
  // last held, x·H into one scratch product (momentumStep copies it into wh). Fresh 4 MB arrays per
  // iteration cost their page faults each time on a VM where first touching memory costs ~3.6 ms per
  // MB (system CPU time of a 1024² call 1.1–1.2 s with them, 0.7–0.9 s without).
  let spare: Float32Array = new Float32Array(size);
  const nextH = new Float32Array(size);
  let t = 1;
  const step = 2 / lipschitz;
  // Prox strength τ = λ/L; it starts at initialStrength/rms(W₀) and grows by `growth` per level.
  let tau = o.initialStrength / rms;
  // Every group is 2:4 once τ·max|z| > 4 (the prox's top-two bound); z stays near W₀ in scale.
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
      const prox = await runKernel('prox24', backend, size, { z, lambda: tau, out: spare }, { signal: o.signal });
      const next = prox.value;
      backend = prox.backend;
      await productWithH(p, next, linalg, nextH);
      const tNext = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
      const beta = (t - 1) / tNext;
      const { moved, norm } = momentumStep(next, nextH, w, wh, w0h, z, beta, step);
      spare = w;
      w = next;
      t = tNext;
      if (moved <= o.levelTolerance ** 2 * norm) break;
    }
    const sparseFraction = sparseGroupFraction(w);
    history.push({ lambda: tau * lipschitz, loss: relativeLossFromProduct(p, w0h, w, wh), sparseFraction });
    o.onProgress?.({ done: level + 1, total: sparseFraction === 1 ? level + 1 : Math.max(level + 2, expectedLevels) });
    if (sparseFraction === 1) break;
    tau *= sparseFraction >= TAIL_FRACTION ? o.tailGrowth : o.growth;
  }
  return { w, history, ran: backend };
}

/**
 * One pass over the new prox output x = `next` (with x·H = `nextH`) after the previous iterate `w`:
 * the next gradient step z = y − step·(y·H − W₀·H) with y = x + β(x − w) (rounded to f32, as FISTA's
 * iterate) and y·H = x·H + β(x·H − w·H); `wh` becomes x·H. Returns ‖x − w‖² and ‖x‖² (the level's
 * convergence test). A plain function, apart from the async path, so that the engine compiles the
 * loop on its own.
 */
function momentumStep(
  next: Float32Array,
  nextH: Float32Array,
  w: Float32Array,
  wh: Float32Array,
  w0h: Float64Array,
  z: Float32Array,
  beta: number,
  step: number,
): { moved: number; norm: number } {
  let moved = 0;
  let norm = 0;
  for (let i = 0; i < next.length; i++) {
    const x = next[i];
    const xh = nextH[i];
    const dx = x - (w[i]);
    moved += dx * dx;
    norm += x * x;
    const y = Math.fround(x + beta * dx);
    const yh = xh + beta * (xh - (wh[i]));
    z[i] = y - step * (yh - (w0h[i]));
    wh[i] = xh;
  }
  return { moved, norm };
}
