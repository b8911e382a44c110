import { resolveBackend, type Backend } from './backends/backend.js';
import './backends/all.js';
import { batchUpperBound, relativeGap } from './verify/dualBound.js';
import { gatherTiles, maskedSum, scatterTiles, toMatrix, validateFill, validatePattern, validateStandardShape, validateTransposableShape, type Matrix, type MatrixLike } from './core/matrix.js';
import { resolveTsenorOptions, validateMethod } from './core/maskOptions.js';
import type { Fill, BackendChoice, BackendName, KernelContext, MatrixMaskSolution, Progress, TileBatch, TransposableMethod, TsenorOptions } from './core/types.js';

export interface CommonOptions {
  /** Keep N of every M. */
  n: number;
  m: number;
  /** Which backend computes the mask (default 'auto'). The result does not depend on it. */
  backend?: BackendChoice;
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
}

export interface MaskResult {
  /** Row-major 0/1 mask, rows·cols entries. */
  mask: Uint8Array;
  rows: number;
  cols: number;
  n: number;
  m: number;
  /** Σ of the kept scores (f64). */
  objective: number;
  backend: BackendName;
  /** Wall-clock seconds of the whole call. */
  seconds: number;
}

export type StandardMaskOptions = CommonOptions;

export interface TransposableMaskOptions extends CommonOptions {
  /** Solver (default 'exact'). */
  method?: TransposableMethod;
  /** Exactly N per tile row and column (default), or at most N. */
  fill?: Fill;
  tsenor?: Partial<TsenorOptions>;
  /**
   * Also compute the LP-dual certificate for tsenor and greedy (one exact solve more).
   * Exact results always carry their certificate.
   */
  certify?: boolean;
}

export interface TransposableMaskResult extends MaskResult {
  method: TransposableMethod;
  fill: Fill;
  /** LP-dual upper bound on any feasible mask's objective, when certified. */
  upperBound?: number;
  /** (upperBound − objective)/upperBound, when certified; 0 for exact. */
  gap?: number;
}

function now(): number {
  return globalThis.performance ? performance.now() : Date.now();
}

function context(options: CommonOptions): KernelContext {
  return { signal: options.signal, onProgress: options.onProgress };
}

/** Standard N:M mask: the N largest scores of every M consecutive entries of a row (ties: lower index). */
export async function standardMask(scores: MatrixLike, options: StandardMaskOptions): Promise<MaskResult> {
  const start = now();
  validatePattern(options?.n, options?.m);
  const x = toMatrix(scores, 'scores');
  validateStandardShape(x, options.m);
  const backend = await resolveBackend(options.backend, x.data.length);
  const mask = await backend.standard(x, options.n, options.m, context(options));
  return {
    mask,
    rows: x.rows,
    cols: x.cols,
    n: options.n,
    m: options.m,
    objective: maskedSum(x.data, mask),
    backend: backend.name,
    seconds: (now() - start) / 1000,
  };
}

/** The tile path for backends without transposableMatrix: gather, solve the batch, scatter. */
async function solveTiles(
  backend: Backend,
  x: Matrix,
  n: number,
  m: number,
  method: TransposableMethod,
  fill: Fill,
  tsenor: TsenorOptions,
  ctx: KernelContext,
): Promise<MatrixMaskSolution> {
  const batch: TileBatch = { tiles: gatherTiles(x, m), count: (x.rows / m) * (x.cols / m), m };
  let tileMask: Uint8Array;
  let upperBound: number | undefined;
  if (method === 'exact') {
    const solution = await backend.exact(batch, n, fill, ctx);
    tileMask = solution.mask;
    upperBound = batchUpperBound(batch, n, fill, solution);
  } else {
    tileMask =
      method === 'greedy'
        ? await backend.greedy(batch, n, fill, ctx)
        : await backend.tsenor(batch, n, fill, tsenor, ctx);
  }
  const objective = maskedSum(batch.tiles, tileMask);
  return { mask: scatterTiles(tileMask, x.rows, x.cols, m), objective, upperBound };
}

/**
 * Transposable N:M mask: in every M×M tile, N kept per row and per column (exactly N under fill
 * 'exact', at most N under 'atMost'), maximising the sum of kept scores.
 */
export async function transposableMask(
  scores: MatrixLike,
  options: TransposableMaskOptions,
): Promise<TransposableMaskResult> {
  const start = now();
  validatePattern(options?.n, options?.m);
  const { n, m } = options;
  const method = options.method ?? 'exact';
  validateMethod(method);
  const fill = options.fill ?? 'exact';
  validateFill(fill);
  const tsenor = resolveTsenorOptions(options.tsenor);
  const x = toMatrix(scores, 'scores');
  validateTransposableShape(x, m);
  // Copied before any await: the solvers work on a private snapshot of the caller's data (toMatrix
  // already copied anything that was not a Float32Array).
  const own = x.data === (scores as { data?: unknown }).data ? { ...x, data: x.data.slice() } : x;
  const backend = await resolveBackend(options.backend, x.data.length);
  const solve = (which: TransposableMethod, ctx: KernelContext): Promise<MatrixMaskSolution> =>
    backend.transposableMatrix
      ? backend.transposableMatrix(own, n, m, which, fill, tsenor, ctx)
      : solveTiles(backend, own, n, m, which, fill, tsenor, ctx);
  const result = await solve(method, context(options));
  const upperBound =
    options.certify && method !== 'exact'
      ? (await solve('exact', { signal: options.signal })).upperBound
      : result.upperBound;
  const { mask, objective } = result;
  return {
    mask,
    rows: x.rows,
    cols: x.cols,
    n,
    m,
    method,
    fill,
    objective,
    ...(upperBound === undefined ? {} : { upperBound, gap: relativeGap(upperBound, objective) }),
    backend: backend.name,
    seconds: (now() - start) / 1000,
  };
}
