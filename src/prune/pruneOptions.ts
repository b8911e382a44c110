import { optionsObject, validateCallOptions } from '../core/callOptions.js';
import { NmsparseError } from '../core/errors.js';
import { describeValue, validateFill, validatePattern } from '../core/matrix.js';
import { TRANSPOSABLE_METHODS } from '../core/maskOptions.js';
import { validateUpdate, type UpdateMethod } from './update.js';
import { INPUT_LAYOUTS, type InputLayout } from './problem.js';
import type { BackendChoice, BackendName, Fill, Progress, TransposableMethod } from '../core/types.js';

export interface PruneOptions {
  /** Refit of the kept weights after the mask is fixed (default 'exact'; see docs/pruning.md). */
  update?: UpdateMethod;
  /** Masked FISTA iterations for update 'gradient' (default 200). */
  updateIterations?: number;
  /** Ridge for update 'exact', relative to mean diag(H) (default 1e-8). */
  ridge?: number;
  /**
   * Backend for the linear algebra, the masks and the prox (default 'auto'; see docs/pruning.md):
   * 'wasm' and 'auto' run the products on WebAssembly SIMD, 'reference' in plain TypeScript.
   */
  backend?: BackendChoice;
  signal?: AbortSignal;
  /**
   * Progress of the method's main loop: λ levels (prox), ADMM iterations (alps), column blocks
   * (sparsegpt); done = total at the end.
   */
  onProgress?: (progress: Progress) => void;
}

export interface ProxPruneOptions extends PruneOptions {
  /** First prox strength, as λ/L·rms(W₀) (dimensionless; default 1e-3). */
  initialStrength?: number;
  /** Factor by which λ grows between levels (default 1.3). */
  growth?: number;
  /**
   * Factor by which λ grows once 99% of the groups are 2:4 (default 3): the last groups need λ far
   * above the rest while the mask hardly changes.
   */
  tailGrowth?: number;
  /**
   * At most this many FISTA iterations at each λ (default 5); a level ends earlier once an iteration
   * moves the weights by less than `levelTolerance` (relative).
   */
  iterationsPerLevel?: number;
  /** Convergence measure ending a λ level: ‖w_k − w_(k−1)‖/‖w_k‖ below this (default 1e-3). */
  levelTolerance?: number;
  /**
   * Rescale every input feature to unit norm before the prox and ALPS (W·D, D⁻¹X with D = diag(√H_jj):
   * the loss is unchanged, every feature moves at the same pace); default true.
   */
  precondition?: boolean;
  /** Safety cap on λ levels (default 200); reaching it is an error, never a silently dense result. */
  maxLevels?: number;
}

/** The methods of the 0.1.0 2:4 entry points (pruneLayer24, wandaPrune24, magnitudePrune24). */
export type PruneMethod = 'prox' | 'wanda' | 'magnitude';
/** The methods of pruneLayer. */
export type LayerMethod = PruneMethod | 'sparsegpt' | 'alps';
export const LAYER_METHODS: readonly LayerMethod[] = ['magnitude', 'wanda', 'sparsegpt', 'alps', 'prox'];

/** Options of pruneLayer: the pattern, the method and its settings (see docs/pruning.md). */
export interface PruneLayerOptions extends ProxPruneOptions {
  /** Keep N of every M consecutive inputs of a row (transposable: N per row and column of every M×M tile). */
  n: number;
  m: number;
  transposable?: boolean;
  /** Transposable only: exactly N (default) or at most N per tile row and column. */
  fill?: Fill;
  method: LayerMethod;
  /** Solver of the transposable masks (default 'exact'). */
  maskSolver?: TransposableMethod;
  /** SparseGPT and ALPS: H + damp·mean(diag H)·I is factored (default 0.01). */
  damp?: number;
  /** Layout of `inputs` (default 'samples-by-features'). */
  layout?: InputLayout;
  /** SparseGPT: columns per lazy-update block (default 128, rounded up to a multiple of M). */
  blockSize?: number;
  /** ALPS: first ρ, relative to mean(diag H) (default 0.1). */
  rho?: number;
  /** ALPS: at most this many ADMM iterations (default 300). */
  maxIterations?: number;
}

export interface PruneHistoryEntry {
  lambda: number;
  /** Relative local loss of the iterate at the end of this λ level. */
  loss: number;
  /** prox: fraction of groups of 4 that are already 2:4; alps: fraction of the support unchanged since the last check. */
  sparseFraction: number;
}

export interface PruneResult {
  /** Pruned weights, rows × cols row-major, zero off the mask. */
  weights: Float32Array;
  /** 0/1 mask of the pattern (2:4 for the 2:4 pruners). */
  mask: Uint8Array;
  rows: number;
  cols: number;
  n: number;
  m: number;
  transposable: boolean;
  method: LayerMethod;
  update: UpdateMethod;
  /** ‖(Ŵ − W₀)X‖²_F / ‖W₀X‖²_F. */
  relativeLoss: number;
  /** The λ path (prox), the ADMM iterations (alps: lambda = ρ); empty for the others. */
  history: PruneHistoryEntry[];
  /** Backend that ran the masks and the prox. */
  backend?: BackendName;
  /** The backend that ran the linear algebra (the products and factorisations). */
  linalg?: BackendName;
  seconds: number;
}

export const DEFAULT_PRUNE_OPTIONS = Object.freeze({
  update: 'exact' as UpdateMethod,
  updateIterations: 200,
  ridge: 1e-8,
  initialStrength: 1e-3,
  growth: 1.3,
  tailGrowth: 3,
  iterationsPerLevel: 5,
  levelTolerance: 1e-3,
  precondition: true,
  maxLevels: 200,
});

/** Defaults of the pruneLayer-only options. */
export const DEFAULT_LAYER_OPTIONS = Object.freeze({
  transposable: false,
  fill: 'exact' as Fill,
  maskSolver: 'exact' as TransposableMethod,
  damp: 0.01,
  layout: 'samples-by-features' as InputLayout,
  blockSize: 128,
  rho: 0.1,
  maxIterations: 300,
});

function checkNumber(name: string, x: unknown, ok: (v: number) => boolean, what: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x) || !ok(x)) {
    throw new NmsparseError('E_OPTION', `${name} must be ${what}, got ${describeValue(x)}`);
  }
  return x;
}

export type ResolvedPruneOptions = Required<Omit<ProxPruneOptions, 'signal' | 'onProgress' | 'backend'>> &
  Pick<ProxPruneOptions, 'signal' | 'onProgress' | 'backend'>;

export function resolvePruneOptions(options: ProxPruneOptions | undefined): ResolvedPruneOptions {
  validateCallOptions(optionsObject(options, 'prune', true), 'prune');
  const o = { ...DEFAULT_PRUNE_OPTIONS, ...(options ?? {}) };
  validateUpdate(o.update);
  const positiveInt = (v: number) => Number.isInteger(v) && v > 0;
  return {
    ...o,
    updateIterations: checkNumber('updateIterations', o.updateIterations, positiveInt, 'a positive integer'),
    ridge: checkNumber('ridge', o.ridge, (v) => v > 0, 'a positive number'),
    initialStrength: checkNumber('initialStrength', o.initialStrength, (v) => v > 0, 'a positive number'),
    growth: checkNumber('growth', o.growth, (v) => v > 1, 'a number > 1'),
    tailGrowth: checkNumber('tailGrowth', o.tailGrowth, (v) => v > 1, 'a number > 1'),
    iterationsPerLevel: checkNumber('iterationsPerLevel', o.iterationsPerLevel, positiveInt, 'a positive integer'),
    levelTolerance: checkNumber('levelTolerance', o.levelTolerance, (v) => v >= 0, 'a number ≥ 0'),
    precondition: checkBoolean('precondition', o.precondition),
    maxLevels: checkNumber('maxLevels', o.maxLevels, positiveInt, 'a positive integer'),
  };
}

function checkBoolean(name: string, x: unknown): boolean {
  if (typeof x !== 'boolean') throw new NmsparseError('E_OPTION', `${name} must be true or false, got ${describeValue(x)}`);
  return x;
}

export type ResolvedLayerOptions = ResolvedPruneOptions &
  Required<Omit<PruneLayerOptions, keyof ProxPruneOptions>>;

export function resolveLayerOptions(options: PruneLayerOptions): ResolvedLayerOptions {
  if (options === null || typeof options !== 'object') {
    throw new NmsparseError('E_OPTION', 'pass the options { n, m, method, ... } (see docs/pruning.md)');
  }
  validatePattern(options.n, options.m);
  if (!LAYER_METHODS.includes(options.method)) {
    throw new NmsparseError('E_OPTION', `method must be one of ${LAYER_METHODS.join(', ')}; got ${describeValue(options.method)}`);
  }
  const o = { ...DEFAULT_LAYER_OPTIONS, ...resolvePruneOptions(options), n: options.n, m: options.m, method: options.method };
  // Unset keys take the defaults; an explicit undefined does too.
  for (const key of Object.keys(DEFAULT_LAYER_OPTIONS) as (keyof typeof DEFAULT_LAYER_OPTIONS)[]) {
    if (options[key] !== undefined) (o as Record<string, unknown>)[key] = options[key];
  }
  // SparseGPT's weights are its own OBS updates unless a refit is asked for.
  if (options.update === undefined && o.method === 'sparsegpt') o.update = 'none';
  checkBoolean('transposable', o.transposable);
  validateFill(o.fill);
  if (!TRANSPOSABLE_METHODS.includes(o.maskSolver)) {
    throw new NmsparseError('E_OPTION', `maskSolver must be one of ${TRANSPOSABLE_METHODS.join(', ')}; got ${describeValue(o.maskSolver)}`);
  }
  if (!INPUT_LAYOUTS.includes(o.layout)) {
    throw new NmsparseError('E_OPTION', `layout must be one of ${INPUT_LAYOUTS.join(', ')}; got ${describeValue(o.layout)}`);
  }
  if (o.method === 'prox' && (o.n !== 2 || o.m !== 4 || o.transposable)) {
    throw new NmsparseError(
      'E_PATTERN',
      `method 'prox' prunes to standard 2:4 only (its proximal operator is the 2:4 one); got ${o.transposable ? 'transposable ' : ''}${o.n}:${o.m}. Use 'alps' or 'sparsegpt' for other patterns`,
    );
  }
  return {
    ...o,
    damp: checkNumber('damp', o.damp, (v) => v >= 0, 'a number ≥ 0'),
    blockSize: checkNumber('blockSize', o.blockSize, (v) => Number.isInteger(v) && v > 0, 'a positive integer'),
    rho: checkNumber('rho', o.rho, (v) => v > 0, 'a positive number'),
    maxIterations: checkNumber('maxIterations', o.maxIterations, (v) => Number.isInteger(v) && v > 0, 'a positive integer'),
  };
}

export function now(): number {
  return globalThis.performance ? performance.now() : Date.now();
}
