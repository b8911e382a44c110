/**
 * One block of SparseGPT's OBS column sweep (Frantar & Alistarh 2023, Algorithm 1; docs/pruning.md),
 * the readable spec of the `obsBlock` kernel and the per-row step of the transposable sweep.
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
