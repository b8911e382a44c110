/**
 * pruneLayer: layer-wise pruning of a linear layer to any N:M pattern, standard or transposable —
 * minimise ‖(W − Ŵ)Xᵀ‖²_F over Ŵ in the pattern, from the calibration inputs X or H = XᵀX.
 *
 * Methods (docs/pruning.md compares them):
 * - magnitude: the pattern's mask of |W|, then the update;
 * - wanda (Sun et al. 2023): the mask of |W_ij|·‖x_j‖₂, then the update;
 * - sparsegpt (Frantar & Alistarh 2023): OBS column sweep (src/prune/sparsegpt.ts), its own weights
 *   (default update 'none'; 'exact' refits its mask);
 * - alps (Meng et al. 2024): ADMM with projection onto the pattern set (src/prune/alps.ts), then the update;
 * - prox (standard 2:4): the preconditioned proximal λ path (src/prune/proxPath.ts), then the update.
 * The update ('exact' by default) refits the kept weights per row by least squares (batched Cholesky).
 */
import { resolveBackend } from '../backends/registry.js';
import '../backends/all.js';
import type { MatrixLike } from '../core/matrix.js';
import type { BackendName } from '../core/types.js';
import { largestEigenvalue, layerProblem, STEP_MARGIN, type LayerData, type LayerProblem } from './problem.js';
import { linalgFor, type Linalg } from './linalg.js';
import { patternMask, type Pattern } from './patternMask.js';
import { refitOnMask } from './result.js';
import { sparseGpt } from './sparsegpt.js';
import { alps } from './alps.js';
import { proxPath } from './proxPath.js';
import { now, resolveLayerOptions, type PruneLayerOptions, type PruneResult, type ResolvedLayerOptions } from './pruneOptions.js';

export async function pruneLayer(weights: MatrixLike, data: LayerData, options: PruneLayerOptions): Promise<PruneResult> {
  const started = now();
  const o = resolveLayerOptions(options);
  const linalg = linalgFor(o.backend);
  const backend = await resolveBackend(o.backend);
  const p = await layerProblem(weights, data, o.layout, linalg, o);
  const { n, m, transposable, fill, maskSolver, signal } = o;
  const pattern: Pattern = { n, m, transposable, fill, maskSolver, backend: o.backend, signal };
  const lipschitz = o.update === 'gradient' ? STEP_MARGIN * 2 * largestEigenvalue(p.h, p.cols) : 0;
  const { from, mask, history, ran } = await chooseMask(p, o, pattern, linalg, backend);
  return refitOnMask(p, mask, from, {
    o,
    linalg,
    lipschitz,
    method: o.method,
    pattern: { n, m, transposable },
    started,
    extra: { history, backend: ran ?? backend },
  });
}

/** The method's mask and the weights the update starts from. */
async function chooseMask(
  p: LayerProblem,
  o: ResolvedLayerOptions,
  pattern: Pattern,
  linalg: Linalg,
  backend: BackendName,
): Promise<{ from: Float32Array; mask: Uint8Array; history: PruneResult['history']; ran?: BackendName }> {
  const progress = { signal: o.signal, onProgress: o.onProgress };
  switch (o.method) {
    case 'magnitude':
    case 'wanda': {
      const scores = o.method === 'magnitude' ? p.w0.map(Math.abs) : wandaScores(p);
      const mask = await patternMask(scores, p.rows, p.cols, pattern);
      o.onProgress?.({ done: 1, total: 1 });
      return { from: p.w0, mask, history: [] };
    }
    case 'sparsegpt': {
      const r = await sparseGpt(p, { damp: o.damp, blockSize: o.blockSize, pattern, linalg, ...progress });
      return { from: r.weights, mask: r.mask, history: [] };
    }
    case 'alps': {
      const r = await alps(p, { rho: o.rho, precondition: o.precondition, maxIterations: o.maxIterations, pattern, linalg, ...progress });
      return { from: r.weights, mask: r.mask, history: r.history };
    }
    case 'prox': {
      const r = await proxPath(p, o, backend, linalg);
      return { from: r.weights, mask: r.mask, history: r.history, ran: r.backend };
    }
  }
}

/** Wanda's scores |W_ij|·‖x_j‖₂ = |W_ij|·√H_jj. */
function wandaScores(p: LayerProblem): Float32Array {
  const n = p.cols;
  return p.w0.map((x, i) => Math.abs(x) * Math.sqrt(p.h[(i % n) * n + (i % n)]));
}
