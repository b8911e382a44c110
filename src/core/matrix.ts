import { yieldToEventLoop } from './chunks.js';
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

/** Whether `x` holds numbers as f32 can take them: a non-BigInt typed array, or an Array of numbers. */
export function numericValues(x: unknown, name: string): ArrayLike<number> {
  if (ArrayBuffer.isView(x) && !(x instanceof DataView)) {
    if (x instanceof BigInt64Array || x instanceof BigUint64Array) {
      throw new NmsparseError('E_DTYPE', `${name} is a BigInt array; convert it to numbers (Float32Array or number[])`);
    }
    return x as unknown as ArrayLike<number>;
  }
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) {
      if (typeof x[i] !== 'number') {
        throw new NmsparseError('E_DTYPE', `${name}[${i}] is ${describeValue(x[i])}; every value must be a number`);
      }
    }
    return x as number[];
  }
  throw new NmsparseError('E_SHAPE', `${name} is ${describeValue(x)}; pass a Float32Array (or another numeric typed array) or a number[]`);
}

/** A short, safe description of an unexpected value for an error message (never its full text). */
export function describeValue(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (typeof x === 'string') return x.length <= 40 ? JSON.stringify(x) : `a string of length ${x.length}`;
  if (typeof x === 'number' || typeof x === 'boolean' || typeof x === 'undefined') return String(x);
  if (typeof x === 'bigint') return 'a bigint';
  if (typeof x === 'symbol') return 'a symbol';
  if (typeof x === 'function') return 'a function';
  return ArrayBuffer.isView(x) ? `a ${x.constructor.name}` : 'an object';
}

/**
 * Converts user data to a validated f32 Matrix. The input is never modified. Float32Array data is used
 * as it is (no copy: a 4096² matrix is 64 MB); anything else is converted to a new Float32Array.
 * Accepted: `{rows, cols, data}` with data a non-BigInt typed array or number[] of exactly rows·cols
 * finite values, or a non-empty number[][] (or array of typed-array rows) of equal-length rows.
 */
export function toMatrix(input: MatrixLike, name = 'matrix'): Matrix {
  const m = toMatrixUnchecked(input, name);
  const bad = firstNonFinite(m.data);
  if (bad >= 0) throw nonFiniteError(m, bad, name);
  return m;
}

/**
 * toMatrix without the finiteness check, for a caller that runs it itself (firstNonFiniteSliced) and
 * throws nonFiniteError before it returns anything computed from the values.
 */
export function toMatrixUnchecked(input: MatrixLike, name = 'matrix'): Matrix {
  if (typeof name !== 'string') {
    throw new NmsparseError('E_OPTION', `toMatrix: name must be a string, got ${describeValue(name)}`);
  }
  if (Array.isArray(input)) {
    const rowsArr = input as ReadonlyArray<unknown>;
    const rows = rowsArr.length;
    if (rows === 0) throw new NmsparseError('E_SHAPE', `${name} has no rows; pass a non-empty 2-D array`);
    if (!Array.isArray(rowsArr[0]) && !ArrayBuffer.isView(rowsArr[0])) {
      throw new NmsparseError('E_SHAPE', `${name} must be an array of rows (number[][]), but row 0 is ${describeValue(rowsArr[0])}`);
    }
    const cols = numericValues(rowsArr[0], `${name}[0]`).length;
    const data = new Float32Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      const row = numericValues(rowsArr[i], `${name}[${i}]`);
      if (row.length !== cols) {
        throw new NmsparseError(
          'E_SHAPE',
          `${name} row ${i} has ${row.length} entries but row 0 has ${cols}; all rows must have the same length`,
        );
      }
      data.set(row, i * cols);
    }
    return checkedMatrix(rows, cols, data, name);
  }
  if (input === null || typeof input !== 'object') {
    throw new NmsparseError('E_SHAPE', `${name} is ${describeValue(input)}; pass {rows, cols, data} or a number[][]`);
  }
  const m = input as { rows: unknown; cols: unknown; data: unknown };
  if (!isPositiveInteger(m.rows) || !isPositiveInteger(m.cols) || !Number.isSafeInteger(m.rows * m.cols)) {
    throw new NmsparseError(
      'E_SHAPE',
      `${name} has rows=${describeValue(m.rows)}, cols=${describeValue(m.cols)}; both must be positive integers`,
    );
  }
  const values = numericValues(m.data, `${name}.data`);
  if (values.length !== m.rows * m.cols) {
    throw new NmsparseError(
      'E_SHAPE',
      `${name}.data has ${values.length} values but rows×cols = ${m.rows}×${m.cols} = ${m.rows * m.cols}`,
    );
  }
  const data = values instanceof Float32Array ? values : Float32Array.from(values);
  return checkedMatrix(m.rows, m.cols, data, name);
}

function checkedMatrix(rows: number, cols: number, data: Float32Array, name: string): Matrix {
  if (rows * cols === 0) throw new NmsparseError('E_SHAPE', `${name} is empty (${rows}×${cols})`);
  return { rows, cols, data };
}

/** The E_NONFINITE error for entry `bad` of m. */
export function nonFiniteError(m: Matrix, bad: number, name: string): NmsparseError {
  return new NmsparseError(
    'E_NONFINITE',
    `${name}[${Math.floor(bad / m.cols)}, ${bad % m.cols}] is ${m.data[bad]} (after conversion to f32); ` +
      'all values must be finite: replace NaN/Inf, or rescale values beyond ±3.4e38',
  );
}

/** Values per slice of firstNonFiniteSliced: ~1 ms of checking between two turns of the event loop. */
const FINITE_SLICE = 1 << 20;

/**
 * firstNonFinite in slices with a turn of the event loop between them, so that work started before it
 * (a worker pool's dispatch and copies) goes on meanwhile. Stops early, returning -1, once `signal`
 * has fired.
 */
export async function firstNonFiniteSliced(data: Float32Array, signal?: AbortSignal): Promise<number> {
  for (let start = 0; start < data.length; start += FINITE_SLICE) {
    if (signal?.aborted) return -1;
    const bad = firstNonFinite(data.subarray(start, start + FINITE_SLICE));
    if (bad >= 0) return start + bad;
    if (start + FINITE_SLICE < data.length) await yieldToEventLoop();
  }
  return -1;
}

/** An f32 is NaN or ±Infinity exactly when its exponent bits are all ones. */
const F32_EXPONENT = 0x7f800000;

/** Index of the first NaN or ±Infinity, or -1. */
export function firstNonFinite(data: ArrayLike<number>): number {
  if (data instanceof Float32Array) return firstNonFiniteF32(data);
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    if (x - x !== 0) return i; // NaN - NaN and Inf - Inf are NaN
  }
  return -1;
}

/**
 * The f32 case on the bits: the exponent test of four values per step (no float compare, one branch)
 * takes ~2/3 of the time of the x − x test, which matters on a path that reads every input value once.
 */
function firstNonFiniteF32(data: Float32Array): number {
  const bits = new Int32Array(data.buffer, data.byteOffset, data.length);
  const n = bits.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    if (
      (bits[i] & F32_EXPONENT) === F32_EXPONENT ||
      (bits[i + 1] & F32_EXPONENT) === F32_EXPONENT ||
      (bits[i + 2] & F32_EXPONENT) === F32_EXPONENT ||
      (bits[i + 3] & F32_EXPONENT) === F32_EXPONENT
    ) {
      break;
    }
  }
  for (; i < n; i++) if ((bits[i] & F32_EXPONENT) === F32_EXPONENT) return i;
  return -1;
}

/** Checks 1 ≤ N < M, both integers. */
export function validatePattern(n: unknown, m: unknown): asserts n is number {
  if (!isPositiveInteger(n) || !isPositiveInteger(m) || n >= m) {
    throw new NmsparseError(
      'E_PATTERN',
      `invalid N:M pattern ${describeValue(n)}:${describeValue(m)}; N and M must be integers with 1 ≤ N < M (for example 2:4 or 8:16)`,
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
    throw new NmsparseError('E_OPTION', `fill must be 'exact' or 'atMost', got ${describeValue(fill)}`);
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
      for (let j = 0; j < m; j++) out[dst + j] = data[src++];
    }
  }
  return out;
}

/** The inverse of gatherTiles for a batch of tile masks. */
export function scatterTiles(tiles: Uint8Array, rows: number, cols: number, m: number, out: Uint8Array = new Uint8Array(rows * cols)): Uint8Array {
  const tileStride = m * m;
  const tileRowStride = (cols / m) * tileStride;
  let dst = 0;
  for (let r = 0; r < rows; r++) {
    let src = Math.floor(r / m) * tileRowStride + (r % m) * m;
    for (let c = 0; c < cols; c += m, src += tileStride) {
      for (let j = 0; j < m; j++) out[dst++] = tiles[src + j];
    }
  }
  return out;
}

/**
 * The objective of a standard mask, in the order every backend sums it: in each row, four partial sums
 * p_r of the kept scores at indices ≡ r (mod 4), in index order (f64), combined as (p0 + p1) + (p2 + p3)
 * (two SIMD add chains in the wasm kernel); then the rows in order. A backend may sum rows in parallel
 * and still agree to the last bit.
 */
export function rowwiseMaskedSum(scores: Float32Array, mask: Uint8Array, cols: number): number {
  let total = 0;
  for (let row = 0; row < scores.length; row += cols) {
    const p = [0, 0, 0, 0];
    for (let k = 0; k < cols; k++) if (mask[row + k]) p[k % 4] += scores[row + k];
    total += p[0] + p[1] + (p[2] + p[3]);
  }
  return total;
}

/** Σ kept scores, accumulated in f64 (branch-free: masks are 0/1 and often random). */
export function maskedSum(scores: Float32Array, mask: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < scores.length; i++) s += (scores[i]) * (mask[i]);
  return s;
}
