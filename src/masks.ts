/**
 * The mask API: standard and transposable N:M masks. Validates everything before any work (except
 * that standardMask checks the scores' finiteness while its kernel starts, and discards the kernel's
 * work when a value is not finite), takes a private snapshot of the caller's scores for transposable
 * masks, and asks the kernel registry to run the solve; the result names the backend that really ran
 * each kernel.
 */
import './backends/all.js';
import { runKernel, type KernelName } from './backends/registry.js';
import { optionsObject, validateCallOptions } from './core/callOptions.js';
import { resolveTsenorOptions, validateMethod, validateMLimit } from './core/maskOptions.js';
import { NmsparseError } from './core/errors.js';
import { takeSnapshot } from './core/snapshot.js';
import {
  describeValue,
  toMatrix,
  toMatrixUnchecked,
  type Matrix,
  firstNonFiniteSliced,
  nonFiniteError,
  validateFill,
  validatePattern,
  validateStandardShape,
  validateTransposableShape,
  type MatrixLike,
} from './core/matrix.js';
import type {
  BackendChoice,
  BackendName,
  Fill,
  KernelContext,
  MatrixMaskSolution,
  Progress,
  TransposableMethod,
  TsenorOptions,
} from './core/types.js';
import { relativeGap } from './reference/dualBound.js';

export interface CommonOptions {
  /** Keep N of every M. */
  n: number;
  m: number;
  /** Which backend computes the mask (default 'auto'). The result does not depend on it. */
  backend?: BackendChoice;
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
  /**
   * Write the mask into this array (rows·cols entries, every one overwritten) and return it as `mask`,
   * instead of a new array: a caller that computes masks of one shape again and again saves the new
   * array's first-touch page faults (docs/api.md). It must not share memory with the scores. If the
   * call fails or is aborted, its contents are unspecified.
   */
  out?: Uint8Array;
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
  /** The backend that ran the solve (for a transposable mask: the tile solver's, when it was another). */
  backend: BackendName;
  /** Every kernel the call ran, with the backend that ran it (a backend may hand a kernel to another). */
  kernels: Partial<Record<KernelName, BackendName>>;
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
  /**
   * Copy a Float32Array `scores.data` before the first await (default true), so the caller may change
   * it while the call runs. `false` reads it in place, saving one copy of the matrix (64 MB at
   * 4096×4096); the caller must then leave it unchanged until the promise settles.
   */
  snapshot?: boolean;
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

/** A kernel context that records which backend ran each kernel; the last one recorded did the solve. */
function recordingContext(options: CommonOptions): { ctx: KernelContext; ran: Partial<Record<KernelName, BackendName>>; last: () => BackendName } {
  const ran: Partial<Record<KernelName, BackendName>> = {};
  let last: BackendName = 'reference';
  const ctx: KernelContext = {
    signal: options.signal,
    onProgress: options.onProgress,
    onKernel: (kernel, backend) => {
      ran[kernel as KernelName] = backend;
      last = backend;
    },
  };
  return { ctx, ran, last: () => last };
}

/** The `out` option: a Uint8Array of rows·cols entries that shares no memory with the scores. */
function validateOut(out: unknown, x: Matrix, what: string): Uint8Array | undefined {
  if (out === undefined) return undefined;
  const want = `a Uint8Array of rows·cols = ${x.rows * x.cols} entries`;
  if (!(out instanceof Uint8Array)) throw new NmsparseError('E_OPTION', `${what}: out must be ${want}, got ${describeValue(out)}`);
  if (out.length !== x.rows * x.cols) throw new NmsparseError('E_OPTION', `${what}: out must be ${want}, got ${out.length} entries`);
  const scores = x.data;
  const overlap =
    out.buffer === scores.buffer &&
    out.byteOffset < scores.byteOffset + scores.byteLength &&
    scores.byteOffset < out.byteOffset + out.byteLength;
  if (overlap) throw new NmsparseError('E_OPTION', `${what}: out shares memory with the scores; pass a separate array`);
  return out;
}

/** Standard N:M mask: the N largest scores of every M consecutive entries of a row (ties: lower index). */
export async function standardMask(scores: MatrixLike, options: StandardMaskOptions): Promise<MaskResult> {
  const start = now();
  validateCallOptions(optionsObject(options, 'standardMask'), 'standardMask');
  validatePattern(options.n, options.m);
  validateMLimit(options.m, 'standard');
  const x = toMatrixUnchecked(scores, 'scores');
  validateStandardShape(x, options.m);
  const out = validateOut(options.out, x, 'standardMask');
  // The kernel is started before the finiteness check, which then runs in slices between its events:
  // on the worker pool the check overlaps the work instead of preceding it (it took a quarter of a
  // 4096² call). A non-finite value stops the kernel, and the call rejects as toMatrix would.
  const stop = new AbortController();
  const forward = () => stop.abort(options.signal?.reason);
  if (options.signal?.aborted) forward();
  options.signal?.addEventListener('abort', forward, { once: true });
  try {
    const rec = recordingContext({ ...options, signal: stop.signal });
    const solving = runKernel('standardMask', options.backend, x.data.length, { scores: x, n: options.n, m: options.m, out }, rec.ctx);
    solving.catch(() => undefined); // awaited below; a rejection meanwhile is not unhandled
    const bad = await firstNonFiniteSliced(x.data, stop.signal);
    if (bad >= 0) {
      stop.abort();
      await solving.catch(() => undefined);
      throw nonFiniteError(x, bad, 'scores');
    }
    const { value, backend } = await solving;
    return {
      mask: value.mask,
      rows: x.rows,
      cols: x.cols,
      n: options.n,
      m: options.m,
      objective: value.objective,
      backend,
      kernels: rec.ran,
      seconds: (now() - start) / 1000,
    };
  } finally {
    options.signal?.removeEventListener('abort', forward);
  }
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
  validateCallOptions(optionsObject(options, 'transposableMask'), 'transposableMask');
  validatePattern(options.n, options.m);
  const { n, m } = options;
  const method = options.method ?? 'exact';
  validateMethod(method);
  validateMLimit(m, method);
  const fill = options.fill ?? 'exact';
  validateFill(fill);
  const tsenor = resolveTsenorOptions(options.tsenor);
  const x = toMatrix(scores, 'scores');
  validateTransposableShape(x, m);
  const out = validateOut(options.out, x, 'transposableMask');
  const snapshot = options.snapshot === undefined ? true : options.snapshot;
  if (typeof snapshot !== 'boolean') throw new NmsparseError('E_OPTION', `snapshot must be true or false, got ${describeValue(snapshot)}`);
  // Copied before any await: the solvers work on a private snapshot of the caller's data (toMatrix
  // already copied anything that was not a Float32Array), unless the caller lends it.
  const copy = snapshot && x.data === (scores as { data?: unknown }).data ? takeSnapshot(x.data) : undefined;
  const own = copy ? { ...x, data: copy.data } : x;
  const rec = recordingContext(options);
  const solve = async (which: TransposableMethod, ctx: KernelContext, into?: Uint8Array) =>
    (await runKernel('transposableMatrix', options.backend, x.data.length, { scores: own, n, m, method: which, fill, tsenor, out: into }, ctx))
      .value;
  let result: MatrixMaskSolution;
  let backend: BackendName;
  let upperBound: number | undefined;
  try {
    result = await solve(method, rec.ctx, out);
    backend = rec.last();
    upperBound =
      options.certify && method !== 'exact'
        ? (await solve('exact', { signal: options.signal, onKernel: rec.ctx.onKernel })).upperBound
        : result.upperBound;
  } finally {
    copy?.release();
  }
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
    backend,
    kernels: rec.ran,
    seconds: (now() - start) / 1000,
  };
}
