/**
 * SparseGPT's OBS column sweep (Frantar & Alistarh 2023, Algorithm 1; docs/pruning.md): the readable
 * spec of the `obsBlock` kernel (one block), of the `obsSweep` kernel (every block of a standard
 * pattern, with the lazy updates between them) and the per-row step of the transposable sweep.
 *
 * A block is `width` consecutive columns of W; `u` holds the block's width × width corner of U, the
 * upper Cholesky factor of H_d⁻¹ (H_d⁻¹ = UᵀU, row-major, only its upper triangle is read). Per row x
 * (f64), slab by slab of M columns: the slab's scores x_c²/U_cc² (rounded to f32) choose its mask, then
 * each pruned column c is removed with the OBS update e = x_c/U_cc, x_c = 0, x_{c+1..} −= e·U_{c, c+1..},
 * e recorded (f32) for the lazy update of the later blocks.
 *
 * Invariants: every row sees the same operations in the same order (a row depends on no other row),
 * each update is a product then a difference (no fused multiply-add), so every backend that follows
 * this order is bit-identical; kept columns are never touched by their own slab's updates.
 */
import { throwIfAborted } from '../core/errors.js';
import type { KernelContext, ObsSweepResult } from '../core/types.js';
import { gemm } from './linalg.js';
import { standardRows } from './standard.js';

/** The scores of the slab at block column c0 of the row at `at` (width entries of x): x_c²/U_cc², to f32. */
export function slabScores(x: Float64Array, at: number, u: Float64Array, width: number, c0: number, m: number, out: Float32Array, outAt: number): void {
  for (let t = 0; t < m; t++) {
    const c = c0 + t;
    const d = u[c * width + c];
    const v = x[at + c];
    out[outAt + t] = (v * v) / (d * d);
  }
}

/**
 * The OBS updates of the slab at block column c0 of one row (x[at..at + width)), given its mask bits
 * keep[keepAt..keepAt + m): pruned columns are zeroed, their errors written to err[at + c].
 */
export function sweepSlab(
  x: Float64Array,
  at: number,
  u: Float64Array,
  width: number,
  c0: number,
  m: number,
  keep: Uint8Array,
  keepAt: number,
  err: Float32Array,
): void {
  for (let t = 0; t < m; t++) {
    if (keep[keepAt + t]) continue;
    const c = c0 + t;
    const uRow = c * width;
    const e = x[at + c] / u[uRow + c];
    err[at + c] = e;
    x[at + c] = 0;
    for (let q = c + 1; q < width; q++) x[at + q] = x[at + q] - e * u[uRow + q];
  }
}

/**
 * The whole block for a standard N:M pattern, rows [rowStart, rowEnd): w (rows × width, f32) is swept
 * in place; mask and err (rows × width) receive each row's slab masks (the N largest scores of every
 * slab, ties to the lower index, as standardRows) and OBS errors.
 */
export function obsBlockRows(
  w: Float32Array,
  width: number,
  u: Float64Array,
  n: number,
  m: number,
  rowStart: number,
  rowEnd: number,
  mask: Uint8Array,
  err: Float32Array,
): void {
  const x = new Float64Array(width);
  const scores = new Float32Array(m);
  const keep = new Uint8Array(m);
  const rowErr = new Float32Array(width);
  for (let r = rowStart; r < rowEnd; r++) {
    const at = r * width;
    for (let c = 0; c < width; c++) x[c] = w[at + c];
    rowErr.fill(0);
    for (let c0 = 0; c0 < width; c0 += m) {
      slabScores(x, 0, u, width, c0, m, scores, 0);
      standardRows(scores, 1, m, n, m, 0, 1, keep);
      mask.set(keep, at + c0);
      sweepSlab(x, 0, u, width, c0, m, keep, 0, rowErr);
    }
    err.set(rowErr, at);
    for (let c = 0; c < width; c++) w[at + c] = x[c];
  }
}

/** Columns [i1, i2) of W (rows × n) as a rows × (i2 − i1) matrix, into `out` (a new one by default). */
export function blockColumns(
  w: Float32Array,
  rows: number,
  n: number,
  i1: number,
  i2: number,
  out: Float32Array = new Float32Array(rows * (i2 - i1)),
): Float32Array {
  const width = i2 - i1;
  for (let r = 0; r < rows; r++) out.set(w.subarray(r * n + i1, r * n + i2), r * width);
  return out;
}

/** A rows × (i2 − i1) matrix written back into columns [i1, i2) of a rows × n one. */
export function setBlockColumns<T extends Float32Array | Uint8Array>(
  to: T,
  from: T,
  rows: number,
  n: number,
  i1: number,
  i2: number,
): void {
  const width = i2 - i1;
  for (let r = 0; r < rows; r++) to.set(from.subarray(r * width, (r + 1) * width), r * n + i1);
}

/** The corner U[i1..i2, i1..i2) of U (n × n f64) as a width × width matrix, into `out` (a new one by default). */
export function blockCorner(
  u: Float64Array,
  n: number,
  i1: number,
  i2: number,
  out: Float64Array = new Float64Array((i2 - i1) ** 2),
): Float64Array {
  const width = i2 - i1;
  for (let a = 0; a < width; a++) out.set(u.subarray((i1 + a) * n + i1, (i1 + a) * n + i2), a * width);
  return out;
}

/** U[i1..i2, i2..n) in f32 (width × (n − i2)), into `out`: the B of the lazy update Err·U. */
export function lazyOperand(u: Float64Array, n: number, i1: number, i2: number, out: Float32Array): Float32Array {
  const rest = n - i2;
  for (let a = 0; a < i2 - i1; a++) for (let b = 0; b < rest; b++) out[a * rest + b] = u[(i1 + a) * n + i2 + b];
  return out;
}

/**
 * The whole sweep for a standard N:M pattern: W (rows × n, not modified) in blocks of `block` columns
 * (a multiple of M; the last may be narrower); each block swept by obsBlockRows with U's corner, then
 * its errors applied to every later column at once, W[:, i2..] −= Err·U[i1..i2, i2..], as one f32
 * product (the `gemm` kernel: α = −1, β = 1). Progress is reported per block.
 */
export function obsSweep(
  w: Float32Array,
  rows: number,
  n: number,
  u: Float64Array,
  keep: number,
  m: number,
  block: number,
  ctx: KernelContext = {},
): ObsSweepResult {
  const weights = w.slice(0, rows * n);
  const mask = new Uint8Array(rows * n);
  const blocks = Math.ceil(n / block);
  for (let i1 = 0; i1 < n; i1 += block) {
    throwIfAborted(ctx.signal);
    const i2 = Math.min(n, i1 + block);
    const width = i2 - i1;
    const swept = blockColumns(weights, rows, n, i1, i2);
    const blockMask = new Uint8Array(rows * width);
    const err = new Float32Array(rows * width);
    obsBlockRows(swept, width, blockCorner(u, n, i1, i2), keep, m, 0, rows, blockMask, err);
    setBlockColumns(weights, swept, rows, n, i1, i2);
    setBlockColumns(mask, blockMask, rows, n, i1, i2);
    if (i2 < n) {
      const rest = n - i2;
      const after = blockColumns(weights, rows, n, i2, n);
      gemm(err, lazyOperand(u, n, i1, i2, new Float32Array(width * rest)), after, { m: rows, k: width, n: rest, alpha: -1, beta: 1 });
      setBlockColumns(weights, after, rows, n, i2, n);
    }
    ctx.onProgress?.({ done: i1 / block + 1, total: blocks });
  }
  return { weights, mask };
}
