/**
 * SparseGPT (Frantar & Alistarh 2023, "SparseGPT: Massive Language Models Can Be Accurately Pruned in
 * One-Shot", Algorithm 1) for any N:M pattern, standard or transposable.
 *
 * With H_d = H + damp·mean(diag H)·I and U the upper Cholesky factor of H_d⁻¹ (H_d⁻¹ = UᵀU), columns are
 * visited left to right. At the first column of every M-column slab the slab's mask is chosen from the
 * scores w²/U_jj² of the current (already updated) weights: the N largest per row, or, transposable, the
 * mask solver on the slab's M×M tiles (all rows at once). Each column's pruned weights are then removed
 * with the OBS update: err = (w_j − q_j)/U_jj, w_{j+1..} −= err·U_{j, j+1..}. Updates inside a block of
 * `blockSize` columns are applied at once (f64); the block's errors reach the later columns in one lazy
 * GEMM, W_{:, after} −= Err·U_{block, after} (f32), as the paper's implementation does. A standard
 * pattern's sweep is one kernel (`obsSweep`, spec in src/reference/obsSweep.ts); the transposable one
 * runs here, block by block, with the mask solver between slabs.
 *
 * U is computed without forming H_d⁻¹: with P the reversal permutation and P·H_d·P = L̃·L̃ᵀ,
 * H_d⁻¹ = (P·L̃⁻ᵀ·P)(P·L̃⁻¹·P), so U = P·L̃⁻¹·P (upper triangular with a positive diagonal): one Cholesky
 * and one triangular inverse. Dead inputs (H_jj = 0) are handled first, as in the paper's code
 * (fixDeadInputs).
 */
import { throwIfAborted } from '../core/errors.js';
import { meanDiagonal, type LayerProblem } from './problem.js';
import { patternMask, type Pattern } from './patternMask.js';
import type { Linalg } from './linalg.js';
import type { Progress } from '../core/types.js';
import { blockColumns, blockCorner, lazyOperand, setBlockColumns, slabScores, sweepSlab } from '../reference/obsSweep.js';

export interface SparseGptSettings {
  damp: number;
  blockSize: number;
  pattern: Pattern;
  linalg: Linalg;
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
}

/** Pivots below this fraction of mean(diag H) mean H_d is singular for f32 weights. */
export const MIN_RELATIVE_PIVOT = 1e-10;

/** The damped H, H + damp·mean(diag H)·I (f64). */
export function dampedHessian(h: Float64Array, n: number, damp: number): Float64Array {
  const out = h.slice();
  const shift = damp * meanDiagonal(h, n);
  for (let i = 0; i < n; i++) out[i * n + i] = (out[i * n + i]) + shift;
  return out;
}

/** U with H_d⁻¹ = UᵀU (upper triangular, f64), via the reversed Cholesky; E_SINGULAR when H_d is not PD. */
export async function upperCholeskyOfInverse(hd: Float64Array, n: number, linalg: Linalg): Promise<Float64Array> {
  const reversed = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) reversed[i * n + j] = hd[(n - 1 - i) * n + (n - 1 - j)];
  const minPivot = MIN_RELATIVE_PIVOT * meanDiagonal(hd, n);
  const inverse = await linalg.triangularInverseLower(await linalg.cholesky(reversed, n, minPivot), n);
  const u = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) u[i * n + j] = inverse[(n - 1 - i) * n + (n - 1 - j)];
  return u;
}

/**
 * Dead inputs (H_jj = 0: the input is 0 in every calibration sample) as the paper's implementation
 * treats them: their weights are set to 0 (they never reach the output on these samples, so they are
 * the first to prune and must not take kept slots from live weights) and H_jj to 1 (H stays positive
 * definite). Returns H with those diagonal entries set (H itself when there is none; never modified);
 * zeroes the columns of `w` in place.
 */
function fixDeadInputs(h: Float64Array, w: Float32Array, rows: number, n: number): Float64Array {
  let fixed: Float64Array | undefined; // copied only when there is a dead input (dampedHessian copies anyway)
  for (let j = 0; j < n; j++) {
    if (h[j * n + j] !== 0) continue;
    fixed ??= h.slice();
    fixed[j * n + j] = 1;
    for (let r = 0; r < rows; r++) w[r * n + j] = 0;
  }
  return fixed ?? h;
}

/** The SparseGPT sweep: pruned weights (zero off the mask) and the mask. */
export async function sparseGpt(p: LayerProblem, s: SparseGptSettings): Promise<{ weights: Float32Array; mask: Uint8Array }> {
  const { rows, cols: n } = p;
  const { m } = s.pattern;
  const w = p.w0.slice();
  const h = fixDeadInputs(p.h, w, rows, n);
  const u = await upperCholeskyOfInverse(dampedHessian(h, n, s.damp), n, s.linalg);
  const block = Math.ceil(s.blockSize / m) * m;
  // A standard pattern's slab masks depend on each row alone: the whole sweep is one kernel.
  if (!s.pattern.transposable) {
    return s.linalg.obsSweep(w, rows, n, u, s.pattern.n, m, block, { signal: s.signal, onProgress: s.onProgress });
  }
  const mask = new Uint8Array(rows * n);
  const blocks = Math.ceil(n / block);
  for (let i1 = 0; i1 < n; i1 += block) {
    throwIfAborted(s.signal);
    const i2 = Math.min(n, i1 + block);
    const err = await transposableBlock(w, rows, n, i1, i2, blockCorner(u, n, i1, i2), mask, s.pattern);
    if (i2 < n) await lazyUpdate(w, rows, n, i1, i2, err, u, s.linalg);
    s.onProgress?.({ done: i1 / block + 1, total: blocks });
  }
  return { weights: w, mask };
}

/**
 * A transposable pattern's block: a slab's M×M tiles span M rows, so every slab's mask is solved for all
 * rows (the mask solver on the tiled scores) before any row is swept through it.
 */
async function transposableBlock(
  w: Float32Array,
  rows: number,
  n: number,
  i1: number,
  i2: number,
  uBlock: Float64Array,
  mask: Uint8Array,
  pattern: Pattern,
): Promise<Float32Array> {
  const { m } = pattern;
  const width = i2 - i1;
  const w1 = Float64Array.from(blockColumns(w, rows, n, i1, i2));
  const err = new Float32Array(rows * width);
  const scores = new Float32Array(rows * m);
  for (let c0 = 0; c0 < width; c0 += m) {
    for (let r = 0; r < rows; r++) slabScores(w1, r * width, uBlock, width, c0, m, scores, r * m);
    const slab = await patternMask(scores, rows, m, pattern);
    // Row by row through the slab's M columns: each row's stretch of w1 stays in cache for all M.
    for (let r = 0; r < rows; r++) {
      sweepSlab(w1, r * width, uBlock, width, c0, m, slab, r * m, err);
      mask.set(slab.subarray(r * m, (r + 1) * m), r * n + i1 + c0);
    }
  }
  setBlockColumns(w, Float32Array.from(w1), rows, n, i1, i2);
  return err;
}

/** W_{:, i2..} −= Err·U_{i1..i2, i2..} (one f32 GEMM on a copy of the columns after the block). */
async function lazyUpdate(
  w: Float32Array,
  rows: number,
  n: number,
  i1: number,
  i2: number,
  err: Float32Array,
  u: Float64Array,
  linalg: Linalg,
): Promise<void> {
  const rest = n - i2;
  const after = blockColumns(w, rows, n, i2, n);
  const b = lazyOperand(u, n, i1, i2, new Float32Array((i2 - i1) * rest));
  await linalg.gemm(err, b, after, { m: rows, k: i2 - i1, n: rest, alpha: -1, beta: 1 });
  setBlockColumns(w, after, rows, n, i2, n);
}
