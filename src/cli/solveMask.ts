/**
 * One matrix's mask through the public API, the same for a .npy input and for every tensor of a
 * checkpoint. Certificates: a standard mask is its own optimum (top N of every group, gap 0 by
 * construction); an exact transposable mask carries its LP-dual bound; tsenor and greedy masks are
 * certified only with --certify (one exact solve more).
 */
import {
  standardMask,
  transposableMask,
  type BackendChoice,
  type BackendName,
  type Fill,
  type Matrix,
  type Progress,
  type ScoreKind,
  type TransposableMethod,
  type TsenorOptions,
  warmUpWasm,
} from '../index.js';
import type { Pattern } from './sharedFlags.js';

export interface MaskSettings extends Pattern {
  method: TransposableMethod;
  fill: Fill;
  score: ScoreKind;
  backend: BackendChoice;
  tsenor: TsenorOptions;
  certify: boolean;
}

export interface SolvedMask {
  mask: Uint8Array;
  objective: number;
  /** The LP-dual bound and certified gap, when known (see the file header). */
  certificate?: { upperBound: number; gap: number };
  backend: BackendName;
  seconds: number;
}

/** |w| (score 'abs') or w ('raw') in place: the CLI owns every matrix it decoded, so no copy. */
export function scoresInPlace(weights: Matrix, score: ScoreKind): Matrix {
  if (score === 'abs') {
    const data = weights.data;
    for (let i = 0; i < data.length; i++) data[i] = Math.abs(data[i]);
  }
  return weights;
}

/**
 * The mask of `weights`, which the call takes over: their data becomes the scores and is read in
 * place while the solve runs (no copy of the matrix). The mask goes into `out` when given (rows·cols
 * entries, the API's `out` option).
 */
export async function solveMask(
  weights: Matrix,
  s: MaskSettings,
  signal: AbortSignal,
  onFraction: (fraction: number) => void,
  out?: Uint8Array,
): Promise<SolvedMask> {
  const scores = scoresInPlace(weights, s.score);
  const common = { n: s.n, m: s.m, backend: s.backend, signal, out, onProgress: (p: Progress) => onFraction(p.done / p.total) };
  if (!s.transposable) {
    const r = await standardMask(scores, common);
    return { ...pick(r), certificate: { upperBound: r.objective, gap: 0 } };
  }
  const r = await transposableMask(scores, { ...common, method: s.method, fill: s.fill, tsenor: s.tsenor, certify: s.certify, snapshot: false });
  const certificate = r.upperBound === undefined || r.gap === undefined ? undefined : { upperBound: r.upperBound, gap: r.gap };
  return { ...pick(r), ...(certificate ? { certificate } : {}) };
}

function pick(r: { mask: Uint8Array; objective: number; backend: BackendName; seconds: number }) {
  return { mask: r.mask, objective: r.objective, backend: r.backend, seconds: r.seconds };
}

/** How a mask kind is named in reports: '2:4 standard', '8:16 transposable tsenor (fill atMost)'. */
export function maskKindText(s: Pattern & { fill: Fill }, method?: TransposableMethod): string {
  if (!s.transposable) return `${s.n}:${s.m} standard`;
  return `${s.n}:${s.m} transposable${method ? ` ${method}` : ''} (fill ${s.fill})`;
}

/**
 * Starts compiling the wasm kernels and the worker pool while the caller reads its input (not
 * awaited: the first solve waits for them, and reports a failure), when wasm may run the masks.
 */
export function warmUpFor(s: Pick<MaskSettings, 'backend'>): void {
  if (s.backend === 'wasm' || s.backend === 'auto') void warmUpWasm();
}
