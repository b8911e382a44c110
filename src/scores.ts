import { NmsparseError } from './core/errors.js';
import { toMatrix, type Matrix, type MatrixLike, describeValue } from './core/matrix.js';

export type ScoreKind = 'abs' | 'raw';

/** Scores from weights: |w| (the default magnitude score) or the values as they are. */
export function scoresFrom(weights: MatrixLike, kind: ScoreKind = 'abs'): Matrix {
  if (kind !== 'abs' && kind !== 'raw') {
    throw new NmsparseError('E_OPTION', `score must be 'abs' or 'raw', got ${describeValue(kind)}`);
  }
  const w = toMatrix(weights, 'weights');
  if (kind === 'raw') return w;
  const data = new Float32Array(w.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.abs(w.data[i]);
  return { rows: w.rows, cols: w.cols, data };
}
