import { optionsObject, validateCallOptions } from '../core/callOptions.js';
import { NmsparseError } from '../core/errors.js';
import '../backends/all.js';
import { runKernel } from '../backends/registry.js';
import { firstNonFinite, toMatrix, type MatrixLike, describeValue } from '../core/matrix.js';
import { reg24 as referenceReg24 } from '../reference/prox24.js';
import type { BackendChoice, BackendName } from '../core/types.js';

export interface Prox24Options {
  /** Which backend evaluates the prox (default 'auto'); every backend returns the global minimiser. */
  backend?: BackendChoice;
  signal?: AbortSignal;
}

export interface Prox24Result {
  /** prox_λ(z), same layout as z. */
  values: Float32Array;
  backend: BackendName;
}

/** Row-major f32 values with the group structure checked: length a multiple of 4 (a matrix: cols). */
function groupedValues(z: MatrixLike | Float32Array, name: string): Float32Array {
  if (z instanceof Float32Array) {
    if (z.length === 0 || z.length % 4 !== 0) {
      throw new NmsparseError('E_SHAPE', `${name} has ${z.length} values; 2:4 groups need a positive multiple of 4`);
    }
    const bad = firstNonFinite(z);
    if (bad >= 0) throw new NmsparseError('E_NONFINITE', `${name}[${bad}] is ${z[bad]}; all values must be finite`);
    return z;
  }
  const m = toMatrix(z, name);
  if (m.cols % 4 !== 0) {
    throw new NmsparseError('E_SHAPE', `${name} has ${m.cols} columns; 2:4 groups run along rows, so cols must be a multiple of 4`);
  }
  return m.data;
}

/**
 * The 2:4 proximal operator: for every group of 4 consecutive values (along rows) the exact global
 * minimiser of ½‖w − z‖² + λ·Σ_{i<j<k}|w_i w_j w_k|. λ = 0 returns z; for λ·max|z| > 4 only the two
 * largest of each group survive.
 */
export async function prox24(z: MatrixLike | Float32Array, lambda: number, options?: Prox24Options): Promise<Prox24Result> {
  if (typeof lambda !== 'number' || !Number.isFinite(lambda) || lambda < 0) {
    throw new NmsparseError('E_OPTION', `lambda must be a finite number ≥ 0, got ${describeValue(lambda)}`);
  }
  validateCallOptions(optionsObject(options, 'prox24', true), 'prox24');
  const values = groupedValues(z, 'z');
  const { value, backend } = await runKernel('prox24', options?.backend, values.length, { z: values, lambda }, { signal: options?.signal });
  return { values: value, backend };
}

/** The 2:4 regulariser Σ over groups of 4 of Σ_{i<j<k}|w_i w_j w_k| (f64); 0 exactly when 2:4 sparse. */
export function reg24(w: MatrixLike | Float32Array): number {
  return referenceReg24(groupedValues(w, 'w'));
}
