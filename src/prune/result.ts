import { relativeLoss, type LayerProblem } from './problem.js';
import { maskedUpdate } from './update.js';
import { now, type PruneMethod, type PruneResult, type ResolvedPruneOptions } from './pruneOptions.js';

/**
 * The last step every 2:4 pruner shares: refit the kept weights on the fixed mask (starting from `from`)
 * with the chosen update, and report the result with its relative local loss.
 */
export async function refitOnMask(
  p: LayerProblem,
  mask: Uint8Array,
  from: Float32Array,
  o: ResolvedPruneOptions,
  lipschitz: number,
  method: PruneMethod,
  started: number,
  extra: Pick<PruneResult, 'history' | 'backend'>,
): Promise<PruneResult> {
  const pruned = await maskedUpdate(p, mask, from, o.update, {
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
    method,
    update: o.update,
    relativeLoss: relativeLoss(p, pruned),
    ...extra,
    seconds: (now() - started) / 1000,
  };
}
