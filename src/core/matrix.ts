import { NmsparseError } from './errors.js';
import type { Fill } from './types.js';

/** A dense row-major f32 matrix. `data.length === rows * cols`. */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float32Array;
}

/** What the public API accepts: any row-major numeric data, or nested rows. */
export type MatrixLike =
  | { readonly rows: number; readonly cols: number; readonly data: ArrayLike<number> }
  | ReadonlyArray<ReadonlyArray<number>>;

function isPositiveInteger(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x > 0;
}

/**
 * Converts user data to a validated f32 Matrix. The input is never modified. Float32Array data is used
 * as it is (no copy: a 4096² matrix is 64 MB); anything else is converted to a new Float32Array.
 */
export function toMatrix(input: MatrixLike, name = 'matrix'): Matrix {
  if (Array.isArray(input)) {
    const rowsArr = input as ReadonlyArray<ReadonlyArray<number>>;
    const rows = rowsArr.length;
    if (rows === 0) throw new NmsparseError('E_SHAPE', `${name} has no rows; pass a non-empty 2-D array`);
    const first = rowsArr[0];
    if (!first || typeof first.length !== 'number') {
      throw new NmsparseError('E_SHAPE', `${name} must be an array of rows (number[][])`);
    }
    const cols = first.length;
    const data = new Float32Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      const row = rowsArr[i];
      if (!row || row.length !== cols) {
        throw new NmsparseError(
          'E_SHAPE',
          `${name} row ${i} has ${row ? row.length : 'no'} entries but row 0 has ${cols}; all rows must have the same length`,
        );
      }
      for (let j = 0; j < cols; j++) data[i * cols + j] = row[j] as number;
    }
    return checkedMatrix(rows, cols, data, name);
  }
  const m = input as { rows: number; cols: number; data: ArrayLike<number> };
  if (m === null || typeof m !== 'object' || m.data === undefined) {
    throw new NmsparseError('E_SHAPE', `${name} must be {rows, cols, data} or a number[][]`);
  }
  if (!isPositiveInteger(m.rows) || !isPositiveInteger(m.cols)) {
    throw new NmsparseError(
      'E_SHAPE',
      `${name} has rows=${String(m.rows)}, cols=${String(m.cols)}; both must be positive integers`,
    );
  }
  if (m.data.length !== m.rows * m.cols) {
    throw new NmsparseError(
      'E_SHAPE',
      `${name} data has ${m.data.length} values but rows×cols = ${m.rows}×${m.cols} = ${m.rows * m.cols}`,
    );
  }
  const data = m.data instanceof Float32Array ? m.data : new Float32Array(m.data as ArrayLike<number>);
  return checkedMatrix(m.rows, m.cols, data, name);
}

function checkedMatrix(rows: number, cols: number, data: Float32Array, name: string): Matrix {
  if (rows * cols === 0) throw new NmsparseError('E_SHAPE', `${name} is empty (${rows}×${cols})`);
  const bad = firstNonFinite(data);
  if (bad >= 0) {
    throw new NmsparseError(
      'E_NONFINITE',
      `${name}[${Math.floor(bad / cols)}, ${bad % cols}] is ${data[bad]} (after conversion to f32); ` +
        'all values must be finite: replace NaN/Inf, or rescale values beyond ±3.4e38',
    );
  }
  return { rows, cols, data };
}

/** Index of the first NaN or ±Infinity, or -1. */
export function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) {
    const x = data[i] as number;
    if (x - x !== 0) return i; // NaN - NaN and Inf - Inf are NaN
  }
  return -1;
}

/** Checks 1 ≤ N < M, both integers. */
export function validatePattern(n: unknown, m: unknown): asserts n is number {
  if (!isPositiveInteger(n) || !isPositiveInteger(m) || n >= m) {
    throw new NmsparseError(
      'E_PATTERN',
      `invalid N:M pattern ${String(n)}:${String(m)}; N and M must be integers with 1 ≤ N < M (for example 2:4 or 8:16)`,
    );
  }
}

/** Checks the shape for a standard N:M mask: cols a multiple of M. */
export function validateStandardShape(x: Matrix, m: number, name = 'scores'): void {
  if (x.cols % m !== 0) {
    throw new NmsparseError(
      'E_SHAPE',
      `${name} has ${x.cols} columns, not a multiple of M = ${m}; pad or crop the columns to a multiple of ${m}`,
    );
  }
}

/** Checks the shape for a transposable N:M mask: rows and cols multiples of M. */
export function validateTransposableShape(x: Matrix, m: number, name = 'scores'): void {
  if (x.rows % m !== 0 || x.cols % m !== 0) {
    throw new NmsparseError(
      'E_SHAPE',
      `${name} is ${x.rows}×${x.cols}; a transposable ${m}-tiling needs rows and cols that are multiples of M = ${m}`,
    );
  }
}

export function validateFill(fill: unknown): asserts fill is Fill {
  if (fill !== 'exact' && fill !== 'atMost') {
    throw new NmsparseError('E_OPTION', `fill must be 'exact' or 'atMost', got ${JSON.stringify(fill)}`);
  }
}

/**
 * Copies the M×M tiles of x into one batch: tile t = tr·(cols/M) + tc (row-major over the tile grid),
 * each tile row-major, M·M values per tile. Plain index loops: per-row subarray copies cost more than
 * the copy itself for small M.
 */
export function gatherTiles(x: Matrix, m: number): Float32Array {
  const { rows, cols, data } = x;
  const out = new Float32Array(rows * cols);
  const tileStride = m * m;
  const tileRowStride = (cols / m) * tileStride;
  let src = 0;
  for (let r = 0; r < rows; r++) {
    let dst = Math.floor(r / m) * tileRowStride + (r % m) * m;
    for (let c = 0; c < cols; c += m, dst += tileStride) {
      for (let j = 0; j < m; j++) out[dst + j] = data[src++] as number;
    }
  }
  return out;
}

/** The inverse of gatherTiles for a batch of tile masks. */
export function scatterTiles(tiles: Uint8Array, rows: number, cols: number, m: number): Uint8Array {
  const out = new Uint8Array(rows * cols);
  const tileStride = m * m;
  const tileRowStride = (cols / m) * tileStride;
  let dst = 0;
  for (let r = 0; r < rows; r++) {
    let src = Math.floor(r / m) * tileRowStride + (r % m) * m;
    for (let c = 0; c < cols; c += m, src += tileStride) {
      for (let j = 0; j < m; j++) out[dst++] = tiles[src + j] as number;
    }
  }
  return out;
}

/** Σ kept scores, accumulated in f64 (branch-free: masks are 0/1 and often random). */
export function maskedSum(scores: Float32Array, mask: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < scores.length; i++) s += (scores[i] as number) * (mask[i] as number);
  return s;
}
