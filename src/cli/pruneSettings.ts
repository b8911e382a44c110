/**
 * How `nmsparse prune` prunes a layer, the same for a .npy layer and for every tensor of a checkpoint:
 * the flags of the pattern and the method, the pruneLayer options they resolve to, and the certified gap
 * of the final mask. A magnitude or Wanda mask maximises a fixed score matrix (|W|, or |W_ij|·‖x_j‖ with
 * ‖x_j‖² = H_jj), so its distance from the optimum for those scores is certified by LP duality;
 * SparseGPT, ALPS and prox masks maximise no fixed score matrix, so they have no gap.
 */
import type {
  BackendChoice,
  Fill,
  InputLayout,
  LayerMethod,
  Matrix,
  PruneLayerOptions,
  TransposableMethod,
  UpdateMethod,
} from '../index.js';
import { choiceFlag, numberFlag } from './flags.js';
import type { ParsedArgs } from './parse.js';
import { BACKEND_FLAG, FILL_FLAG, resolvePattern, type Pattern } from './sharedFlags.js';

export const METHOD_FLAG = choiceFlag<LayerMethod>({
  name: 'method',
  choices: { magnitude: 'magnitude', wanda: 'wanda', sparsegpt: 'sparsegpt', alps: 'alps', prox: 'prox' },
  default: 'sparsegpt',
  help: 'magnitude, wanda, sparsegpt, alps, or prox (standard 2:4 only)',
});
export const MASK_SOLVER_FLAG = choiceFlag<TransposableMethod>({
  name: 'mask-solver',
  choices: { exact: 'exact', tsenor: 'tsenor', greedy: 'greedy' },
  default: 'exact',
  needs: { name: 'transposable' },
  help: 'solver of the transposable masks',
});
export const UPDATE_FLAG = choiceFlag<UpdateMethod | 'default'>({
  name: 'update',
  choices: { default: 'default', exact: 'exact', gradient: 'gradient', none: 'none' },
  default: 'default',
  help: 'refit of the kept weights: exact, gradient or none (default: none for sparsegpt, else exact)',
});
export const DAMP_FLAG = numberFlag({ name: 'damp', max: 1e6, default: 0.01, help: 'SparseGPT and ALPS: dampening relative to mean(diag H)' });

export interface PruneSettings extends Pattern {
  fill: Fill;
  method: LayerMethod;
  maskSolver: TransposableMethod;
  /** Undefined: the method's default (pruneLayer's). */
  update: UpdateMethod | undefined;
  damp: number;
  backend: BackendChoice;
}

export function resolvePruneSettings(args: ParsedArgs): PruneSettings {
  const update = args.get(UPDATE_FLAG);
  return {
    ...resolvePattern(args),
    fill: args.get(FILL_FLAG),
    method: args.get(METHOD_FLAG),
    maskSolver: args.get(MASK_SOLVER_FLAG),
    update: update === 'default' ? undefined : update,
    damp: args.get(DAMP_FLAG),
    backend: args.get(BACKEND_FLAG),
  };
}

/** The pruneLayer options of the settings. */
export function layerOptions(s: PruneSettings, extra: Pick<PruneLayerOptions, 'signal' | 'onProgress' | 'layout'>): PruneLayerOptions {
  const { n, m, transposable, fill, method, maskSolver, update, damp, backend } = s;
  return { n, m, transposable, fill, method, maskSolver, ...(update === undefined ? {} : { update }), damp, backend, ...extra };
}

/** The scores a magnitude or Wanda mask maximises; undefined for the other methods. */
function maskScores(method: LayerMethod, weights: Matrix, data: { inputs: Matrix } | { hessian: Matrix }, layout: InputLayout): Float32Array | undefined {
  if (method === 'magnitude') return weights.data.map(Math.abs);
  if (method !== 'wanda') return undefined;
  const n = weights.cols;
  const squares = new Float64Array(n);
  if ('hessian' in data) {
    for (let j = 0; j < n; j++) squares[j] = Math.max(0, data.hessian.data[j * n + j]);
  } else {
    const x = data.inputs;
    const bySamples = layout === 'samples-by-features';
    for (let i = 0; i < x.data.length; i++) {
      const j = bySamples ? i % x.cols : Math.floor(i / x.cols);
      squares[j] = squares[j] + x.data[i] ** 2;
    }
  }
  return weights.data.map((w, i) => Math.abs(w) * Math.sqrt(squares[i % n]));
}

/** The certified gap of a final mask for the scores its method maximises, where there are such scores. */
export async function maskGap(
  s: PruneSettings,
  weights: Matrix,
  data: { inputs: Matrix } | { hessian: Matrix },
  layout: InputLayout,
  mask: Uint8Array,
  signal: AbortSignal,
): Promise<number | undefined> {
  const scores = maskScores(s.method, weights, data, layout);
  if (!scores) return undefined;
  const { n, m, transposable, fill } = s;
  const { certify } = await import('../index.js');
  return (await certify({ rows: weights.rows, cols: weights.cols, data: scores }, mask, { n, m, transposable, fill, signal })).gap;
}
