import { relativeLoss, type LayerProblem } from './problem.js';
import { maskedUpdate } from './update.js';
import type { Linalg } from './linalg.js';
import type { BackendName } from '../core/types.js';
import { now, type LayerMethod, type PruneResult, type ResolvedPruneOptions } from './pruneOptions.js';

/** What every pruner reports beyond the weights: its pattern, method and extras. */
export interface RefitContext {
  o: ResolvedPruneOptions;
  linalg: Linalg;
  /** L ≥ 2·λmax(H) for update 'gradient' (unused otherwise). */
  lipschitz: number;
  method: LayerMethod;
  pattern: { n: number; m: number; transposable: boolean };
  started: number;
  extra: Pick<PruneResult, 'history' | 'backend'>;
}

/**
 * The last step every pruner shares: refit the kept weights on the fixed mask (starting from `from`)
 * with the chosen update, and report the result with its relative local loss.
 */
export async function refitOnMask(p: LayerProblem, mask: Uint8Array, from: Float32Array, c: RefitContext): Promise<PruneResult> {
  const pruned = await maskedUpdate(p, mask, from, c.o.update, {
    iterations: c.o.updateIterations,
    lipschitz: c.lipschitz,
    ridge: c.o.ridge,
    linalg: c.linalg,
    signal: c.o.signal,
  });
  return {
    weights: pruned,
    mask,
    rows: p.rows,
    cols: p.cols,
    ...c.pattern,
    method: c.method,
    update: c.o.update,
    relativeLoss: await relativeLoss(p, pruned, c.linalg),
    ...c.extra,
    linalg: c.linalg.ran as BackendName,
    seconds: (now() - c.started) / 1000,
  };
}
