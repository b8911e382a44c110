import type { MatrixLike } from '../core/matrix.js';
import type { LayerData } from './problem.js';
import { pruneLayer } from './pruneLayer.js';
import type { ProxPruneOptions, PruneResult } from './pruneOptions.js';

/**
 * Prunes a linear layer to 2:4 with the preconditioned proximal method (src/prune/proxPath.ts), then
 * refits the kept weights (`update`). The 0.1.0 entry point: `inputs` are in × samples here; it is
 * pruneLayer with { n: 2, m: 4, method: 'prox', layout: 'features-by-samples' }.
 */
export function pruneLayer24(weights: MatrixLike, data: LayerData, options?: ProxPruneOptions): Promise<PruneResult> {
  return pruneLayer(weights, data, { ...options, n: 2, m: 4, method: 'prox', layout: 'features-by-samples' });
}
