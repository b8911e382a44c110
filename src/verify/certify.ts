import '../backends/all.js';
import { runKernel } from '../backends/registry.js';
import { recomputedUpperBound, relativeGap } from '../reference/dualBound.js';
import { optionsObject, validateCallOptions } from '../core/callOptions.js';
import { NmsparseError } from '../core/errors.js';
import { validateMLimit } from '../core/maskOptions.js';
import { describeValue, gatherTiles, numericValues, toMatrix, validateFill, validatePattern, validateStandardShape, validateTransposableShape, type Matrix, type MatrixLike } from '../core/matrix.js';
import { checkStandard, checkTransposable, type Violation } from './validity.js';
import { isKept } from '../core/maskValue.js';
import type { Fill, BackendChoice, KernelContext, TileBatch } from '../core/types.js';

/** A mask: a flat row-major array of rows·cols values, or a matrix of its own. */
export type MaskLike = ArrayLike<number> | MatrixLike;

export interface CertifyOptions {
  n: number;
  m: number;
  /** Check the transposable rule (N per row and column of every M×M tile); default false. */
  transposable?: boolean;
  /** 'exact' (default): exactly N; 'atMost': at most N. */
  fill?: Fill;
  backend?: BackendChoice;
  signal?: AbortSignal;
}

export interface Certificate {
  valid: boolean;
  violationCount: number;
  /** The first few violations (at most 10), located in the matrix. */
  violations: Violation[];
  /** Σ of the scores the mask keeps (f64). */
  objective: number;
  /** The optimum of the LP relaxation, an upper bound on every valid mask's objective. */
  upperBound: number;
  /** (upperBound − objective)/|upperBound|: 0 for an optimal mask. */
  gap: number;
}

function shapeMismatch(rows: number | string, cols: number | string, scores: Matrix): NmsparseError {
  return new NmsparseError(
    'E_SHAPE',
    `mask is ${rows}×${cols} but scores are ${scores.rows}×${scores.cols}; they must have the same shape`,
  );
}

/**
 * The mask's values exactly as given: numbers, but not rounded to f32 and not refused when non-finite,
 * so that the mask rule (core/maskValue.ts) judges every entry the same way in every format (1 + 1e-12
 * and NaN are value violations, like 0.5).
 */
function maskValues(mask: MaskLike, scores: Matrix): ArrayLike<number> {
  const size = scores.rows * scores.cols;
  const isFlat = ArrayBuffer.isView(mask) || (Array.isArray(mask) && !Array.isArray(mask[0]) && !ArrayBuffer.isView(mask[0]));
  if (isFlat) {
    const flat = numericValues(mask, 'mask');
    if (flat.length !== size) {
      throw new NmsparseError(
        'E_SHAPE',
        `mask has ${flat.length} values but scores are ${scores.rows}×${scores.cols}; pass a mask of the same shape`,
      );
    }
    return flat;
  }
  if (Array.isArray(mask)) {
    const rows = mask as readonly unknown[];
    const cols = numericValues(rows[0], 'mask[0]').length;
    if (rows.length !== scores.rows || cols !== scores.cols) throw shapeMismatch(rows.length, cols, scores);
    const values = new Float64Array(size);
    rows.forEach((row, i) => {
      const r = numericValues(row, `mask[${i}]`);
      if (r.length !== cols) throw new NmsparseError('E_SHAPE', `mask row ${i} has ${r.length} entries but row 0 has ${cols}`);
      values.set(r, i * cols);
    });
    return values;
  }
  if (mask === null || typeof mask !== 'object') {
    throw new NmsparseError('E_SHAPE', `mask is ${describeValue(mask)}; pass a flat array, a number[][] or {rows, cols, data}`);
  }
  const m = mask as { rows: unknown; cols: unknown; data: unknown };
  if (m.rows !== scores.rows || m.cols !== scores.cols) throw shapeMismatch(describeValue(m.rows), describeValue(m.cols), scores);
  const data = numericValues(m.data, 'mask.data');
  if (data.length !== size) {
    throw new NmsparseError('E_SHAPE', `mask.data has ${data.length} values but rows×cols = ${scores.rows}×${scores.cols}`);
  }
  return data;
}

/** Entries of the scores gathered into tiles per exact solve: bounds certify's memory by ~16 MB. */
const CERTIFY_CHUNK_ENTRIES = 1 << 22;

/**
 * The LP-dual bound of a transposable problem: bands of M rows at a time are gathered into tiles,
 * solved exactly, and their tiles' bounds recomputed from the scores and the returned potentials,
 * added tile by tile in tile order across all bands (the order of recomputedUpperBound, so the bits
 * do not depend on the band chunking).
 */
async function transposableBound(x: Matrix, n: number, m: number, fill: Fill, backend: BackendChoice | undefined, ctx: KernelContext): Promise<number> {
  const bandEntries = m * x.cols;
  const bands = Math.max(1, Math.floor(CERTIFY_CHUNK_ENTRIES / bandEntries));
  let total = 0;
  for (let row = 0; row < x.rows; row += bands * m) {
    const rows = Math.min(bands * m, x.rows - row);
    const chunk = { rows, cols: x.cols, data: x.data.subarray(row * x.cols, (row + rows) * x.cols) };
    const batch: TileBatch = { tiles: gatherTiles(chunk, m), count: (rows / m) * (x.cols / m), m };
    const solution = (await runKernel('exactTiles', backend, chunk.data.length, { batch, n, fill }, ctx)).value;
    total = recomputedUpperBound(batch, n, fill, solution, total);
  }
  return total;
}

/**
 * Certifies a mask: validity (with the first violations located), its objective, an LP-dual upper
 * bound on every valid mask's objective, and the relative gap between them. The bound comes from the
 * exact solver's dual potentials, recomputed here from the scores, so it does not trust the solver.
 */
export async function certify(scores: MatrixLike, mask: MaskLike, options: CertifyOptions): Promise<Certificate> {
  validateCallOptions(optionsObject(options, 'certify'), 'certify');
  validatePattern(options.n, options.m);
  const { n, m } = options;
  const fill = options.fill ?? 'exact';
  validateFill(fill);
  const x = toMatrix(scores, 'scores');
  const values = maskValues(mask, x);
  const transposable = options.transposable ?? false;
  if (transposable) {
    // The certificate is an exact solve: the same M limit as the exact method.
    validateMLimit(m, 'exact');
    validateTransposableShape(x, m);
  } else validateStandardShape(x, m);

  const report = transposable
    ? checkTransposable(values, x.rows, x.cols, n, m, fill)
    : checkStandard(values, x.rows, x.cols, n, m, fill);
  let objective = 0;
  for (let k = 0; k < x.data.length; k++) if (isKept(values[k])) objective += x.data[k];

  const ctx = { signal: options.signal };
  let upperBound: number;
  if (transposable) {
    upperBound = await transposableBound(x, n, m, fill, options.backend, ctx);
  } else {
    // Standard N:M separates by group, so the LP optimum is the top-N sum (positive part under atMost).
    const best = (await runKernel('standardMask', options.backend, x.data.length, { scores: x, n, m }, ctx)).value.mask;
    upperBound = 0;
    for (let k = 0; k < x.data.length; k++) {
      const s = x.data[k];
      if (best[k]) upperBound += fill === 'atMost' ? Math.max(0, s) : s;
    }
  }
  return { ...report, objective, upperBound, gap: relativeGap(upperBound, objective) };
}
