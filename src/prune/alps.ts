/**
 * ALPS (Meng, Behdin, Wang, Mazumder 2024, "ALPS: Improved Optimization for Highly Sparse One-Shot
 * Pruning for Large Language Models"), for any N:M pattern: ADMM on
 *   min ½‖(W − W₀)Xᵀ‖²_F  subject to  W = D, D in the pattern set,
 * with the scaled dual V:
 *   W ← (W₀H + ρD − V)·(H + ρI)⁻¹,   D ← Π(W + V/ρ),   V ← V + ρ(W − D),
 * where Π is the projection onto the pattern set: keep the entries of largest square (standard: the N
 * largest per group of M; transposable: the mask solver on the squares, per M×M tile). ρ follows the
 * paper's schedule: every 3 iterations it grows by 1.3, 1.2 or 1.1 as the support changed by more than
 * 10%, more than 0.5%, or less, since the last check (large steps while the support moves, small ones
 * once it settles). It stops when the support did not change over a window and W is within 1% of D
 * (‖W − D‖ ≤ 0.01‖D‖), or after maxIterations; then the caller refits the kept weights (update 'exact').
 * (H + ρI)⁻¹ is refactored whenever ρ changes (f64 Cholesky and inverse, used as f32 in the GEMM).
 * With `precondition` (default) it runs on unit-norm features (src/prune/scaling.ts), as ALPS's own
 * implementation normalises H: ρI and the magnitude projection are otherwise blind to the input scale.
 */
import { throwIfAborted } from '../core/errors.js';
import { meanDiagonal, relativeLossFromProduct, productWithH, type LayerProblem } from './problem.js';
import { patternMask, squares, type Pattern } from './patternMask.js';
import type { Linalg } from './linalg.js';
import { featureScaling } from './scaling.js';
import type { Progress } from '../core/types.js';
import type { PruneHistoryEntry } from './pruneOptions.js';

export interface AlpsSettings {
  /** First ρ, relative to mean(diag H). */
  rho: number;
  /** Run on unit-norm features (src/prune/scaling.ts). */
  precondition: boolean;
  maxIterations: number;
  pattern: Pattern;
  linalg: Linalg;
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
}

/** Iterations between ρ updates and support-change checks. */
const CHECK_EVERY = 3;
/** ‖W − D‖/‖D‖ below which a settled support ends the iteration. */
const PRIMAL_TOLERANCE = 0.01;

/** The ρ growth factor for a support change of `changed` out of `kept` entries. */
export function rhoGrowth(changed: number, kept: number): number {
  if (changed > 0.1 * kept) return 1.3;
  if (changed > 0.005 * kept) return 1.2;
  return 1.1;
}

/** Π(Z): Z on the pattern mask of its squares, and that mask. */
export async function projectOntoPattern(
  z: Float32Array,
  rows: number,
  cols: number,
  pattern: Pattern,
): Promise<{ d: Float32Array; mask: Uint8Array }> {
  const mask = await patternMask(squares(z), rows, cols, pattern);
  return { d: z.map((x, i) => (mask[i] ? x : 0)), mask };
}

export interface AlpsResult {
  /** The last projected iterate D (in the pattern) and its mask. */
  weights: Float32Array;
  mask: Uint8Array;
  /** Per check: ρ (as lambda), the relative loss of D, the fraction of the support unchanged since the last check. */
  history: PruneHistoryEntry[];
}

export async function alps(original: LayerProblem, s: AlpsSettings): Promise<AlpsResult> {
  const scaling = s.precondition ? featureScaling(original) : undefined;
  const p = scaling ? scaling.problem : original;
  const r = await admm(p, s);
  return scaling ? { ...r, weights: scaling.unscale(r.weights) } : r;
}

async function admm(p: LayerProblem, s: AlpsSettings): Promise<AlpsResult> {
  const { rows, cols: n } = p;
  const size = rows * n;
  const scale = meanDiagonal(p.h, n);
  let rho = s.rho * scale;
  let minv = await shiftedInverse(p, rho, s.linalg);
  let { d, mask } = await projectOntoPattern(p.w0, rows, n, s.pattern);
  let kept = 0;
  for (const x of mask) kept += x;
  let checked = mask;
  const v = new Float32Array(size);
  const rhs = new Float32Array(size);
  // W, Z and the loss's product are rewritten every iteration into the same buffers: fresh arrays
  // cost their page faults on every iteration where first touching memory is slow (see proxPath.ts).
  const wBuffer = new Float32Array(size);
  const z = new Float32Array(size);
  const dh = new Float32Array(size);
  const history: PruneHistoryEntry[] = [];
  const w0h = await p.product();
  for (let it = 1; it <= s.maxIterations; it++) {
    throwIfAborted(s.signal);
    for (let i = 0; i < size; i++) rhs[i] = (w0h[i]) + rho * (d[i]) - (v[i]);
    // (H + ρI)⁻¹ is symmetric: W = RHS·(H + ρI)⁻¹ row by row.
    const w = await s.linalg.gemm(rhs, minv, wBuffer, { m: rows, k: n, n });
    for (let i = 0; i < size; i++) z[i] = (w[i]) + (v[i]) / rho;
    ({ d, mask } = await projectOntoPattern(z, rows, n, s.pattern));
    let gap = 0;
    let norm = 0;
    for (let i = 0; i < size; i++) {
      const r = (w[i]) - (d[i]);
      v[i] = (v[i]) + rho * r;
      gap += r * r;
      norm += (d[i]) ** 2;
    }
    if (it % CHECK_EVERY !== 0 && it !== s.maxIterations) continue;
    let changed = 0;
    for (let i = 0; i < size; i++) if (mask[i] !== checked[i]) changed++;
    checked = mask;
    const loss = relativeLossFromProduct(p, w0h, d, await productWithH(p, d, s.linalg, dh));
    history.push({ lambda: rho, loss, sparseFraction: 1 - changed / kept });
    s.onProgress?.({ done: it, total: s.maxIterations });
    if (changed === 0 && gap <= PRIMAL_TOLERANCE ** 2 * norm) break;
    rho *= rhoGrowth(changed, kept);
    minv = await shiftedInverse(p, rho, s.linalg);
  }
  s.onProgress?.({ done: s.maxIterations, total: s.maxIterations });
  return { weights: d, mask, history };
}

/** (H + ρI)⁻¹ as f32. */
async function shiftedInverse(p: LayerProblem, rho: number, linalg: Linalg): Promise<Float32Array> {
  const n = p.cols;
  const a = p.h.slice();
  for (let i = 0; i < n; i++) a[i * n + i] = (a[i * n + i]) + rho;
  return new Float32Array(await linalg.spdInverse(a, n));
}
