import { optionsObject, validateCallOptions } from '../core/callOptions.js';
import { NmsparseError } from '../core/errors.js';
import { validateUpdate, type UpdateMethod } from './update.js';
import type { BackendChoice, BackendName, Progress } from '../core/types.js';
import { describeValue } from '../core/matrix.js';

export interface PruneOptions {
  /** Refit of the kept weights after the mask is fixed (default 'exact'; see docs/design.md, "Layer pruner"). */
  update?: UpdateMethod;
  /** Masked FISTA iterations for update 'gradient' (default 200). */
  updateIterations?: number;
  /** Ridge for update 'exact', relative to mean diag(H) (default 1e-8). */
  ridge?: number;
  /** Backend for the prox (default 'auto'). */
  backend?: BackendChoice;
  signal?: AbortSignal;
  /** Prox pruner: after every λ level, done = levels finished, total = levels expected (exact at the end). */
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
  /** FISTA iterations at each λ (default 5). */
  iterationsPerLevel?: number;
  /** Safety cap on λ levels (default 200); reaching it is an error, never a silently dense result. */
  maxLevels?: number;
}

export type PruneMethod = 'prox' | 'wanda' | 'magnitude';

export interface PruneHistoryEntry {
  lambda: number;
  /** Relative local loss of the iterate at the end of this λ level. */
  loss: number;
  /** Fraction of groups of 4 that are already 2:4. */
  sparseFraction: number;
}

export interface PruneResult {
  /** Pruned weights, rows × cols row-major, exactly 2:4 along each row. */
  weights: Float32Array;
  /** 0/1 mask with exactly two ones in every group of 4. */
  mask: Uint8Array;
  rows: number;
  cols: number;
  method: PruneMethod;
  update: UpdateMethod;
  /** ‖(Ŵ − W₀)X‖²_F / ‖W₀X‖²_F. */
  relativeLoss: number;
  /** The λ path (prox only; empty for the baselines). */
  history: PruneHistoryEntry[];
  /** Backend that ran the prox (prox only). */
  backend?: BackendName;
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
  maxLevels: 200,
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
    maxLevels: checkNumber('maxLevels', o.maxLevels, positiveInt, 'a positive integer'),
  };
}

export function now(): number {
  return globalThis.performance ? performance.now() : Date.now();
}
