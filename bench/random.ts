import type { Matrix } from '../src/core/matrix.js';
import { columnScaledMatrix, gaussianMatrix } from '../src/core/random.js';

export type MatrixKind = 'gaussian' | 'column-scaled';

/**
 * Magnitude scores |w| of a seeded Gaussian weight matrix. 'column-scaled' multiplies every column by
 * e^z, z ~ N(0, 1): the case where a fixed entropy strength τ is too weak for the small columns.
 */
export function scoreMatrix(rows: number, cols: number, kind: MatrixKind, seed: number): Matrix {
  const weights = kind === 'gaussian' ? gaussianMatrix(rows, cols, seed) : columnScaledMatrix(rows, cols, seed);
  const data = weights.data;
  for (let k = 0; k < data.length; k++) data[k] = Math.abs(data[k] as number);
  return { rows, cols, data };
}
