import type { MatrixLike } from '../core/matrix.js';
import type { LayerData } from './problem.js';
import { pruneLayer } from './pruneLayer.js';
import type { PruneOptions, PruneResult } from './pruneOptions.js';

/** Magnitude 2:4 (0.1.0 entry point; `inputs` in × samples): pruneLayer with method 'magnitude'. */
export function magnitudePrune24(weights: MatrixLike, data: LayerData, options?: PruneOptions): Promise<PruneResult> {
  return pruneLayer(weights, data, { ...options, n: 2, m: 4, method: 'magnitude', layout: 'features-by-samples' });
}

/** Wanda 2:4 (Sun et al. 2023; 0.1.0 entry point, `inputs` in × samples): pruneLayer with method 'wanda'. */
export function wandaPrune24(weights: MatrixLike, data: LayerData, options?: PruneOptions): Promise<PruneResult> {
  return pruneLayer(weights, data, { ...options, n: 2, m: 4, method: 'wanda', layout: 'features-by-samples' });
}
