/**
 * Layer-by-layer pruning of an MLP as SparseGPT-style pipelines do it: the calibration inputs (training
 * images) go through the network once; each hidden layer is pruned in order by pruneLayer on the inputs
 * that the already-pruned layers before it produce, so later layers see (and compensate) the earlier
 * layers' error. The 10-way output layer stays dense: its 10 rows are not a multiple of M for
 * transposable patterns, and pipelines leave classifier heads dense anyway.
 *
 * Magnitude and Wanda run as published, without a weight update (`update: 'none'`: the kept weights keep
 * their values); SparseGPT updates the weights itself; ALPS and prox end with pruneLayer's default exact
 * refit on their mask, as their papers do.
 */
import { pruneLayer } from '../../src/prune/pruneLayer.js';
import type { LayerMethod } from '../../src/prune/pruneOptions.js';
import type { TransposableMethod } from '../../src/core/types.js';
import type { Digits } from './data.js';
import { cloneMlp, linear, relu, type Mlp } from './mlp.js';

export interface PruneSpec {
  n: number;
  m: number;
  transposable: boolean;
  method: LayerMethod;
  /** The transposable mask solver (ignored for standard patterns). */
  maskSolver: TransposableMethod;
}

export interface PrunedMlp {
  model: Mlp;
  /** Per layer: the kept weights (1) of a pruned layer, null for the dense output layer. */
  masks: (Uint8Array | null)[];
  /** Per pruned layer: ‖(W − Ŵ)Xᵀ‖²/‖WXᵀ‖² on its calibration inputs, as pruneLayer reports it. */
  relativeLosses: number[];
  seconds: number;
}

/** Prunes every layer of `model` but the last to `spec`, in order, on `calibration`'s images. */
export async function pruneHiddenLayers(model: Mlp, calibration: Digits, spec: PruneSpec): Promise<PrunedMlp> {
  const started = performance.now();
  const pruned = cloneMlp(model);
  const masks: (Uint8Array | null)[] = pruned.map(() => null);
  const relativeLosses: number[] = [];
  let inputs = calibration.images;
  for (let l = 0; l < pruned.length - 1; l++) {
    const layer = pruned[l] as Mlp[number];
    const result = await pruneLayer(
      { rows: layer.rows, cols: layer.cols, data: layer.weights },
      { inputs: { rows: calibration.count, cols: layer.cols, data: inputs } },
      {
        n: spec.n,
        m: spec.m,
        method: spec.method,
        transposable: spec.transposable,
        ...(spec.transposable ? { maskSolver: spec.maskSolver } : {}),
        ...(spec.method === 'magnitude' || spec.method === 'wanda' ? { update: 'none' as const } : {}),
        backend: 'wasm',
      },
    );
    layer.weights = result.weights;
    masks[l] = result.mask;
    relativeLosses.push(result.relativeLoss);
    inputs = relu(await linear(layer, inputs, calibration.count));
  }
  return { model: pruned, masks, relativeLosses, seconds: (performance.now() - started) / 1000 };
}
