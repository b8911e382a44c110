// Blocked, parallel Cholesky and triangular inverse for large n (src/backends/wasmLinalg.ts drives
// them; src/reference/linalg.ts is the spec of both results). In f64 like the unblocked kernels
// (assembly/linalg.ts says why).
//
// Unblocked, both are sequences of dot products over whole rows: at n = 4096 every row of the
// 128 MiB matrix is read again for every four rows, so they run at memory speed on one thread.
// Blocked by B columns (B = 128, chosen by the driver), the work becomes dot products of B-long (or
// depth-tiled) row segments that stay in cache, and rows of one step are independent, so the worker
// pool splits them:
//
// - Cholesky, right-looking (Golub & Van Loan, "Matrix Computations", 4th ed., §4.2.9): for each
//   block column [k0, k1): factor the diagonal block (choleskyDiagonalBlock, one thread), solve the
//   rows below it against that block (choleskyPanelRows: L_ij = (A_ij − Σ_{k0≤m<j} L_im·L_jm)/L_jj),
//   then subtract the block column's contribution from the trailing lower triangle
//   (choleskyUpdateRows: A_ij −= Σ_{k0≤m<k1} L_im·L_jm for k1 ≤ j ≤ i).
// - Y = L⁻ᵀ (upper; row j of Y is column j of L⁻¹), by block columns [i0, i1) of Y: for the rows
//   j < i0, Y_ji = −(Σ_{j≤m<i} L_im·Y_jm)/L_ii splits into the part over m < i0, whose terms are all
//   known (inverseBlockRows, depth-tiled 4×2 dot blocks), and the part inside the block, solved in
//   order of i; the diagonal block itself follows (inverseDiagonalBlock).
//
// Invariants: a and l are n × n row-major f64; Y starts zeroed (its lower part stays 0, and the
// 4×2 dot blocks rely on Y_jm = 0 for m < j); kernels write only the rows they are given.

import { dot64, f64At } from './linalg';

/** Depth of one tile of the inverse's dot products: 4 + 2 row segments of 2 KiB each stay in L1/L2. */
const DEPTH = 256;

/**
 * out(r, c) += sign·Σ_{m<len} p_r[m]·q_c[m] for the four rows p_r = p + r·ps and the two rows
 * q_c = q + c·qs (f64x2 over m, the odd tail scalar); out(r, c) is at out + r·rs + c·cs.
 */
@inline function dots4x2(p: usize, ps: usize, q: usize, qs: usize, len: i32, out: usize, rs: usize, cs: usize, sign: f64): void {
  const p1 = p + ps;
  const p2 = p1 + ps;
  const p3 = p2 + ps;
  const q1 = q + qs;
  let a00 = f64x2.splat(0);
  let a01 = f64x2.splat(0);
  let a10 = f64x2.splat(0);
  let a11 = f64x2.splat(0);
  let a20 = f64x2.splat(0);
  let a21 = f64x2.splat(0);
  let a30 = f64x2.splat(0);
  let a31 = f64x2.splat(0);
  let m = 0;
  for (; m + 1 < len; m += 2) {
    const o = <usize>m << 3;
    const x0 = v128.load(q + o);
    const x1 = v128.load(q1 + o);
    let y = v128.load(p + o);
    a00 = f64x2.add(a00, f64x2.mul(y, x0));
    a01 = f64x2.add(a01, f64x2.mul(y, x1));
    y = v128.load(p1 + o);
    a10 = f64x2.add(a10, f64x2.mul(y, x0));
    a11 = f64x2.add(a11, f64x2.mul(y, x1));
    y = v128.load(p2 + o);
    a20 = f64x2.add(a20, f64x2.mul(y, x0));
    a21 = f64x2.add(a21, f64x2.mul(y, x1));
    y = v128.load(p3 + o);
    a30 = f64x2.add(a30, f64x2.mul(y, x0));
    a31 = f64x2.add(a31, f64x2.mul(y, x1));
  }
  let s00 = f64x2.extract_lane(a00, 0) + f64x2.extract_lane(a00, 1);
  let s01 = f64x2.extract_lane(a01, 0) + f64x2.extract_lane(a01, 1);
  let s10 = f64x2.extract_lane(a10, 0) + f64x2.extract_lane(a10, 1);
  let s11 = f64x2.extract_lane(a11, 0) + f64x2.extract_lane(a11, 1);
  let s20 = f64x2.extract_lane(a20, 0) + f64x2.extract_lane(a20, 1);
  let s21 = f64x2.extract_lane(a21, 0) + f64x2.extract_lane(a21, 1);
  let s30 = f64x2.extract_lane(a30, 0) + f64x2.extract_lane(a30, 1);
  let s31 = f64x2.extract_lane(a31, 0) + f64x2.extract_lane(a31, 1);
  if (m < len) {
    const x0 = f64At(q, m);
    const x1 = f64At(q1, m);
    s00 += f64At(p, m) * x0;
    s01 += f64At(p, m) * x1;
    s10 += f64At(p1, m) * x0;
    s11 += f64At(p1, m) * x1;
    s20 += f64At(p2, m) * x0;
    s21 += f64At(p2, m) * x1;
    s30 += f64At(p3, m) * x0;
    s31 += f64At(p3, m) * x1;
  }
  addTo(out, sign * s00);
  addTo(out + cs, sign * s01);
  addTo(out + rs, sign * s10);
  addTo(out + rs + cs, sign * s11);
  addTo(out + 2 * rs, sign * s20);
  addTo(out + 2 * rs + cs, sign * s21);
  addTo(out + 3 * rs, sign * s30);
  addTo(out + 3 * rs + cs, sign * s31);
}

@inline function addTo(at: usize, x: f64): void {
  store<f64>(at, load<f64>(at) + x);
}

/**
 * The panel solve of block column [k0, k1) for rows [rowStart, rowEnd) (all ≥ k1), once the diagonal
 * block is factored: L_ij = (A_ij − Σ_{k0≤m<j} L_im·L_jm)/L_jj for k0 ≤ j < k1, in order of j.
 */
export function choleskyPanelRows(a: usize, n: i32, k0: i32, k1: i32, rowStart: i32, rowEnd: i32): void {
  const stride = <usize>n << 3;
  const from = <usize>k0 << 3;
  for (let i = rowStart; i < rowEnd; i++) {
    const ri = a + <usize>i * stride;
    for (let j = k0; j < k1; j++) {
      const rj = a + <usize>j * stride;
      const at = ri + (<usize>j << 3);
      store<f64>(at, (load<f64>(at) - dot64(ri + from, rj + from, j - k0)) / f64At(rj, j));
    }
  }
}

/**
 * The trailing update of block column [k0, k1) on rows [rowStart, rowEnd) (all ≥ k1):
 * A_ij −= Σ_{k0≤m<k1} L_im·L_jm for k1 ≤ j ≤ i. Columns go in pairs, outermost, so each pair of
 * B-long segments is read once for all the rows; rows four at a time (dots4x2).
 */
export function choleskyUpdateRows(a: usize, n: i32, k0: i32, k1: i32, rowStart: i32, rowEnd: i32): void {
  const stride = <usize>n << 3;
  const from = <usize>k0 << 3;
  const len = k1 - k0;
  for (let j = k1; j < rowEnd; j += 2) {
    if (j + 1 === rowEnd) {
      for (let i = max(rowStart, j); i < rowEnd; i++) updateOne(a, stride, from, len, i, j);
      break;
    }
    // Row j takes only column j of the pair; rows below it take both.
    if (j >= rowStart) updateOne(a, stride, from, len, j, j);
    let i = max(rowStart, j + 1);
    for (; i + 3 < rowEnd; i += 4) {
      dots4x2(a + <usize>i * stride + from, stride, a + <usize>j * stride + from, stride, len, a + <usize>i * stride + (<usize>j << 3), stride, 8, -1);
    }
    for (; i < rowEnd; i++) {
      updateOne(a, stride, from, len, i, j);
      updateOne(a, stride, from, len, i, j + 1);
    }
  }
}

/** A_ij −= Σ_{k0≤m<k1} L_im·L_jm for one entry (`from` = k0 in bytes, len = k1 − k0). */
@inline function updateOne(a: usize, stride: usize, from: usize, len: i32, i: i32, j: i32): void {
  addTo(a + <usize>i * stride + (<usize>j << 3), -dot64(a + <usize>i * stride + from, a + <usize>j * stride + from, len));
}

/**
 * Rows [c0, c1) of Y = L⁻ᵀ in block column [i0, i1) (c1 ≤ i0), once columns < i0 of those rows are
 * done: first Y_ji accumulates Σ_{j≤m<i0} L_im·Y_jm over depth tiles of DEPTH (a pair of rows j, j + 1
 * starts at m = j: Y_{j+1, j} = 0), then Y_ji = −(Y_ji + Σ_{i0≤m<i} L_im·Y_jm)/L_ii in order of i.
 */
export function inverseBlockRows(l: usize, n: i32, i0: i32, i1: i32, c0: i32, c1: i32, y: usize): void {
  const stride = <usize>n << 3;
  for (let d = c0; d < i0; d += DEPTH) {
    const dEnd = min(i0, d + DEPTH);
    for (let j = c0; j < c1 && j < dEnd; j += 2) {
      const from = max(d, j);
      const len = dEnd - from;
      const o = <usize>from << 3;
      const pair = j + 1 < c1;
      let i = i0;
      if (pair) {
        for (; i + 3 < i1; i += 4) {
          dots4x2((l + <usize>(i) * stride) + o, stride, (y + <usize>(j) * stride) + o, stride, len, (y + <usize>(j) * stride) + (<usize>i << 3), 8, stride, 1);
        }
      }
      for (; i < i1; i++) {
        addTo((y + <usize>(j) * stride) + (<usize>i << 3), dot64((l + <usize>(i) * stride) + o, (y + <usize>(j) * stride) + o, len));
        if (pair) addTo((y + <usize>(j + 1) * stride) + (<usize>i << 3), dot64((l + <usize>(i) * stride) + o, (y + <usize>(j + 1) * stride) + o, len));
      }
    }
  }
  const inside = <usize>i0 << 3;
  for (let j = c0; j < c1; j++) {
    const yj = (y + <usize>(j) * stride);
    for (let i = i0; i < i1; i++) {
      const li = (l + <usize>(i) * stride);
      const at = yj + (<usize>i << 3);
      store<f64>(at, -(load<f64>(at) + dot64(li + inside, yj + inside, i - i0)) / f64At(li, i));
    }
  }
}

/** The diagonal block [i0, i1)² of Y = L⁻ᵀ: Y_jj = 1/L_jj, Y_ji = −(Σ_{j≤m<i} L_im·Y_jm)/L_ii for j < i. */
export function inverseDiagonalBlock(l: usize, n: i32, i0: i32, i1: i32, y: usize): void {
  const stride = <usize>n << 3;
  for (let j = i0; j < i1; j++) {
    const yj = y + <usize>j * stride;
    const from = <usize>j << 3;
    store<f64>(yj + from, 1 / f64At(l + <usize>j * stride, j));
    for (let i = j + 1; i < i1; i++) {
      const li = l + <usize>i * stride;
      store<f64>(yj + (<usize>i << 3), -dot64(li + from, yj + from, i - j) / f64At(li, i));
    }
  }
}
