import { standardMask, transposableMask } from '../masks.js';
import type { BackendChoice, Fill, TransposableMethod } from '../core/types.js';

/** The sparsity pattern a pruner targets, and how its masks are solved. */
export interface Pattern {
  n: number;
  m: number;
  transposable: boolean;
  fill: Fill;
  maskSolver: TransposableMethod;
  backend?: BackendChoice;
  signal?: AbortSignal;
}

/**
 * The mask of the pattern that keeps the most score (rows × cols, row-major): the N largest of every M
 * consecutive entries of a row, or, transposable, the mask solver on every M×M tile. Ties: the
 * solvers' deterministic rules.
 */
export async function patternMask(scores: Float32Array, rows: number, cols: number, p: Pattern): Promise<Uint8Array> {
  const matrix = { rows, cols, data: scores };
  if (!p.transposable) return (await standardMask(matrix, { n: p.n, m: p.m, backend: p.backend, signal: p.signal })).mask;
  const result = await transposableMask(matrix, {
    n: p.n,
    m: p.m,
    method: p.maskSolver,
    fill: p.fill,
    backend: p.backend,
    signal: p.signal,
  });
  return result.mask;
}

/** Squares of the values: the score of keeping each weight when W is projected onto the pattern. */
export function squares(w: Float32Array): Float32Array {
  return w.map((x) => x * x);
}
