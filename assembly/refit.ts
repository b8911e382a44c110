// The exact refit of the layer pruners (src/reference/linalg.ts, refitRows, is its spec): per row r with
// support S = {j : mask_rj ≠ 0}, the solution of (H_SS + δI)·w_S = rhs_{r,S}, written as f32 with zeros
// off S. δ starts at `ridge` and grows ×100 until the f64 Cholesky factorisation succeeds (δ only guards
// a singular H_SS).
//
// Mixed precision with iterative refinement (Wilkinson; Higham, "Accuracy and Stability of Numerical
// Algorithms", 2nd ed., §12.1; docs/pruning.md, "The exact refit"): the k³/6 multiply-adds of the
// factorisation run in f32 (f32x4, twice the lanes of f64x2, half the bytes), and the solution is
// corrected with residuals computed in f64 against the f64 H: w ← w + (L·Lᵀ)⁻¹·(b − (H_SS + δI)·w).
// Each step shrinks the error by about cond(H_SS)·2⁻²⁴, so a few steps reach f64 accuracy when
// cond(H_SS) ≪ 10⁷. Where the f32 factorisation fails or the corrections stop shrinking, the row falls
// back to the f64 Cholesky of assembly/linalg.ts, so the answer is the f64 solve's to f64 rounding
// either way; only the time differs.
//
// Invariants: h is n × n f64 (full, symmetric), rhs rows × n f64, mask rows × n u8, out rows × n f32;
// scratch is refitScratchBytes(k, n) for supports of up to k entries; rows are independent (the pool
// splits them).

import { choleskyDiagonalBlock, f64At, solveLower, solveLowerTransposed } from './linalg';

/** Refinement steps before a row falls back to the f64 factorisation. */
const MAX_REFINE = 10;
/**
 * A correction this small relative to the solution (max norms) ends the refinement: 10⁴ times finer
 * than the f32 output can hold, and above the floor that the f64 residual's own rounding (about
 * cond·2⁻⁵³) sets on the corrections.
 */
const CONVERGED = 1e-12;

@inline function f32At(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}

/** Bytes of scratch refitRows needs for supports of up to `k` entries of rows of length `n`. */
export function refitScratchBytes(k: i32, n: i32): i32 {
  // support (k i32, padded), the factor (k² f64, or k² f32 in its first half), b, w, residual (k f64
  // each), the f32 correction (k f32, padded), the solution spread over the row (n f64).
  return ((k * 4 + 15) & ~15) + k * k * 8 + 3 * k * 8 + ((k * 4 + 15) & ~15) + n * 8;
}

/** See the file header. */
export function refitRows(
  h: usize,
  n: i32,
  mask: usize,
  rhs: usize,
  ridge: f64,
  rowStart: i32,
  rowEnd: i32,
  out: usize,
  scratch: usize,
): void {
  for (let r = rowStart; r < rowEnd; r++) {
    const support = scratch;
    let k = 0;
    for (let j = 0; j < n; j++) {
      if (load<u8>(mask + <usize>(r * n + j))) {
        store<i32>(support + (<usize>k << 2), j);
        k++;
      }
    }
    const a = support + ((<usize>k * 4 + 15) & ~(<usize>15));
    const b = a + (<usize>(k * k) << 3);
    const w = b + (<usize>k << 3);
    const res = w + (<usize>k << 3);
    const d = res + (<usize>k << 3);
    const spread = d + ((<usize>k * 4 + 15) & ~(<usize>15));
    for (let i = 0; i < k; i++) store<f64>(b + (<usize>i << 3), f64At(rhs, r * n + load<i32>(support + (<usize>i << 2))));
    for (let delta = ridge; ; delta *= 100) {
      if (refineInF32(h, n, support, k, delta, a, b, w, res, d, spread)) break;
      if (solveInF64(h, n, support, k, delta, a, b, w)) break;
    }
    const row = out + (<usize>(r * n) << 2);
    memory.fill(row, 0, <usize>n << 2);
    for (let i = 0; i < k; i++) store<f32>(row + (<usize>load<i32>(support + (<usize>i << 2)) << 2), <f32>f64At(w, i));
  }
}

/** Gathers the lower triangle of H_SS + δI into the k × k f32 matrix at a. */
function gatherF32(h: usize, n: i32, support: usize, k: i32, delta: f64, a: usize): void {
  for (let i = 0; i < k; i++) {
    const hi = h + (<usize>(load<i32>(support + (<usize>i << 2)) * n) << 3);
    const ai = a + (<usize>(i * k) << 2);
    for (let j = 0; j < i; j++) store<f32>(ai + (<usize>j << 2), <f32>f64At(hi, load<i32>(support + (<usize>j << 2))));
    store<f32>(ai + (<usize>i << 2), <f32>(f64At(hi, load<i32>(support + (<usize>i << 2))) + delta));
  }
}

/**
 * w = solution of (H_SS + δI)·w = b by an f32 factor and f64 refinement; false (w undefined) when the f32
 * factorisation fails or the refinement does not converge.
 */
function refineInF32(
  h: usize, n: i32, support: usize, k: i32, delta: f64,
  a: usize, b: usize, w: usize, res: usize, d: usize, spread: usize,
): bool {
  gatherF32(h, n, support, k, delta, a);
  if (!choleskyF32(a, k)) return false;
  memory.fill(w, 0, <usize>k << 3);
  memory.copy(res, b, <usize>k << 3);
  memory.fill(spread, 0, <usize>n << 3);
  let previous = Infinity;
  for (let step = 0; step < MAX_REFINE; step++) {
    // d = (L·Lᵀ)⁻¹·res in f32, on the residual scaled to a max norm of 1 (no f32 overflow or underflow).
    let scale: f64 = 0;
    for (let i = 0; i < k; i++) scale = Math.max(scale, Math.abs(f64At(res, i)));
    if (scale == 0) return true;
    for (let i = 0; i < k; i++) store<f32>(d + (<usize>i << 2), <f32>(f64At(res, i) / scale));
    solveLowerF32(a, k, d);
    solveLowerTransposedF32(a, k, d);
    let change: f64 = 0;
    let size: f64 = 0;
    for (let i = 0; i < k; i++) {
      const step64 = <f64>f32At(d, i) * scale;
      const wi = f64At(w, i) + step64;
      if (!isFinite(wi)) return false;
      store<f64>(w + (<usize>i << 3), wi);
      change = Math.max(change, Math.abs(step64));
      size = Math.max(size, Math.abs(wi));
    }
    if (change <= CONVERGED * size) return true;
    // Contraction stalls when cond(H_SS)·2⁻²⁴ approaches 1: leave it to the f64 factorisation.
    if (step > 0 && !(change <= 0.5 * previous)) return false;
    previous = change;
    residual(h, n, support, k, delta, b, w, res, spread);
  }
  return false;
}

/** res = b − (H_SS + δI)·w in f64: w spread over the row (zeros off S), then full-row dot products. */
function residual(h: usize, n: i32, support: usize, k: i32, delta: f64, b: usize, w: usize, res: usize, spread: usize): void {
  for (let i = 0; i < k; i++) store<f64>(spread + (<usize>load<i32>(support + (<usize>i << 2)) << 3), f64At(w, i));
  for (let i = 0; i < k; i++) {
    const hi = h + (<usize>(load<i32>(support + (<usize>i << 2)) * n) << 3);
    let s0 = f64x2.splat(0);
    let s1 = f64x2.splat(0);
    let m = 0;
    for (; m + 3 < n; m += 4) {
      const o = <usize>m << 3;
      s0 = f64x2.add(s0, f64x2.mul(v128.load(hi + o), v128.load(spread + o)));
      s1 = f64x2.add(s1, f64x2.mul(v128.load(hi + o, 16), v128.load(spread + o, 16)));
    }
    const s = f64x2.add(s0, s1);
    let dot = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
    for (; m < n; m++) dot += f64At(hi, m) * f64At(spread, m);
    store<f64>(res + (<usize>i << 3), f64At(b, i) - dot - delta * f64At(w, i));
  }
}

/** The f64 path (assembly/linalg.ts's factorisation); false when the factorisation fails at this δ. */
function solveInF64(h: usize, n: i32, support: usize, k: i32, delta: f64, a: usize, b: usize, w: usize): bool {
  for (let i = 0; i < k; i++) {
    const hi = h + (<usize>(load<i32>(support + (<usize>i << 2)) * n) << 3);
    for (let j = 0; j <= i; j++) {
      store<f64>(a + (<usize>(i * k + j) << 3), f64At(hi, load<i32>(support + (<usize>j << 2))));
    }
    store<f64>(a + (<usize>(i * k + i) << 3), f64At(a, i * k + i) + delta);
  }
  if (choleskyDiagonalBlock(a, k, 0, k, 0) >= 0) return false;
  memory.copy(w, b, <usize>k << 3);
  solveLower(a, k, w);
  solveLowerTransposed(a, k, w);
  return true;
}

/** Σ_{m < len} x[m]·y[m] in f32 (f32x4 lanes, then the tail). */
@inline function dot32(x: usize, y: usize, len: i32): f32 {
  let s = f32x4.splat(0);
  let m = 0;
  for (; m + 3 < len; m += 4) {
    const o = <usize>m << 2;
    s = f32x4.add(s, f32x4.mul(v128.load(x + o), v128.load(y + o)));
  }
  let total = f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
  for (; m < len; m++) total += f32At(x, m) * f32At(y, m);
  return total;
}

/**
 * In-place lower Cholesky of the k × k f32 matrix at a (lower triangle read), by rows as
 * assembly/linalg.ts's choleskyDiagonalBlock: four rows at a time, each earlier row loaded once for
 * four dot products (f32x4). False on a pivot that is not positive.
 */
function choleskyF32(a: usize, k: i32): bool {
  const stride = <usize>k << 2;
  let i = 0;
  for (; i + 3 < k; i += 4) {
    const r0 = a + <usize>i * stride;
    const r1 = r0 + stride;
    const r2 = r1 + stride;
    const r3 = r2 + stride;
    for (let j = 0; j < i; j++) {
      const rj = a + <usize>j * stride;
      let s0 = f32x4.splat(0);
      let s1 = f32x4.splat(0);
      let s2 = f32x4.splat(0);
      let s3 = f32x4.splat(0);
      let m = 0;
      for (; m + 3 < j; m += 4) {
        const o = <usize>m << 2;
        const x = v128.load(rj + o);
        s0 = f32x4.add(s0, f32x4.mul(v128.load(r0 + o), x));
        s1 = f32x4.add(s1, f32x4.mul(v128.load(r1 + o), x));
        s2 = f32x4.add(s2, f32x4.mul(v128.load(r2 + o), x));
        s3 = f32x4.add(s3, f32x4.mul(v128.load(r3 + o), x));
      }
      let d0 = f32x4.extract_lane(s0, 0) + f32x4.extract_lane(s0, 1) + f32x4.extract_lane(s0, 2) + f32x4.extract_lane(s0, 3);
      let d1 = f32x4.extract_lane(s1, 0) + f32x4.extract_lane(s1, 1) + f32x4.extract_lane(s1, 2) + f32x4.extract_lane(s1, 3);
      let d2 = f32x4.extract_lane(s2, 0) + f32x4.extract_lane(s2, 1) + f32x4.extract_lane(s2, 2) + f32x4.extract_lane(s2, 3);
      let d3 = f32x4.extract_lane(s3, 0) + f32x4.extract_lane(s3, 1) + f32x4.extract_lane(s3, 2) + f32x4.extract_lane(s3, 3);
      for (; m < j; m++) {
        const x = f32At(rj, m);
        d0 += f32At(r0, m) * x;
        d1 += f32At(r1, m) * x;
        d2 += f32At(r2, m) * x;
        d3 += f32At(r3, m) * x;
      }
      const pivot = f32At(rj, j);
      const o = <usize>j << 2;
      store<f32>(r0 + o, (f32At(r0, j) - d0) / pivot);
      store<f32>(r1 + o, (f32At(r1, j) - d1) / pivot);
      store<f32>(r2 + o, (f32At(r2, j) - d2) / pivot);
      store<f32>(r3 + o, (f32At(r3, j) - d3) / pivot);
    }
    for (let r = i; r < i + 4; r++) {
      if (!choleskyRowF32(a, k, r, i)) return false;
    }
  }
  for (; i < k; i++) {
    if (!choleskyRowF32(a, k, i, 0)) return false;
  }
  return true;
}

/** Row i of L from column `from` to the diagonal (columns before `from` are done); false on a bad pivot. */
function choleskyRowF32(a: usize, k: i32, i: i32, from: i32): bool {
  const rowI = a + (<usize>(i * k) << 2);
  for (let j = from; j <= i; j++) {
    const rowJ = a + (<usize>(j * k) << 2);
    const s = f32At(rowI, j) - dot32(rowI, rowJ, j);
    if (j < i) {
      store<f32>(rowI + (<usize>j << 2), s / f32At(rowJ, j));
    } else {
      if (!(s > 0) || !isFinite(s)) return false;
      store<f32>(rowI + (<usize>i << 2), Mathf.sqrt(s));
    }
  }
  return true;
}

/** Solves L·y = d in place (f32) for the lower-triangular k × k L at a. */
function solveLowerF32(a: usize, k: i32, d: usize): void {
  for (let i = 0; i < k; i++) {
    const li = a + (<usize>(i * k) << 2);
    store<f32>(d + (<usize>i << 2), (f32At(d, i) - dot32(li, d, i)) / f32At(li, i));
  }
}

/** Solves Lᵀ·x = y in place (f32): each solved x_i is removed from the earlier entries at once (axpy on row i). */
function solveLowerTransposedF32(a: usize, k: i32, d: usize): void {
  for (let i = k - 1; i >= 0; i--) {
    const li = a + (<usize>(i * k) << 2);
    const xi = f32At(d, i) / f32At(li, i);
    store<f32>(d + (<usize>i << 2), xi);
    const f = f32x4.splat(xi);
    let m = 0;
    for (; m + 3 < i; m += 4) {
      const o = <usize>m << 2;
      v128.store(d + o, f32x4.sub(v128.load(d + o), f32x4.mul(f, v128.load(li + o))));
    }
    for (; m < i; m++) store<f32>(d + (<usize>m << 2), f32At(d, m) - f32At(li, m) * xi);
  }
}
