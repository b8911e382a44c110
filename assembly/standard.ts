// Standard N:M: in every group of M consecutive entries of a row keep the N largest. Entry j is kept
// when fewer than N entries of its group beat it (larger, or equal and earlier), exactly the
// reference rule, so masks are bit-identical. Groups with M % 4 == 0 count with f32x4 compares.
// Each row's objective is Σ of its kept scores in f64, added in index order (the reference's order),
// while the group is still in cache: no second pass over the matrix.

import { Settings } from './abi';
import { hsum32 } from './simd';

/** Masks one group at `g` into `out`; returns `sum` plus its kept scores (f64, in index order). */
function groupScalar(g: usize, n: i32, m: i32, out: usize, sum: f64): f64 {
  for (let j = 0; j < m; j++) {
    const x = load<f32>(g + (<usize>j << 2));
    let beaten = 0;
    for (let k = 0; k < m; k++) {
      const y = load<f32>(g + (<usize>k << 2));
      beaten += i32(y > x) | i32(y == x && k < j);
    }
    const kept = beaten < n;
    store<u8>(out + j, kept ? 1 : 0);
    if (kept) sum += <f64>x;
  }
  return sum;
}

/** groupScalar with f32x4 compares (M % 4 == 0). */
function groupSimd(g: usize, n: i32, m: i32, out: usize, sum: f64): f64 {
  for (let j = 0; j < m; j++) {
    const value = load<f32>(g + (<usize>j << 2));
    const x = f32x4.splat(value);
    const jv = i32x4.splat(j);
    let lanes = i32x4(0, 1, 2, 3);
    let cnt = i32x4.splat(0);
    for (let b = 0; b < m; b += 4) {
      const y = v128.load(g + (<usize>b << 2));
      const beats = v128.or(f32x4.gt(y, x), v128.and(f32x4.eq(y, x), i32x4.lt_s(lanes, jv)));
      cnt = i32x4.sub(cnt, beats);
      lanes = i32x4.add(lanes, i32x4.splat(4));
    }
    const kept = hsum32(cnt) < n;
    store<u8>(out + j, kept ? 1 : 0);
    if (kept) sum += <f64>value;
  }
  return sum;
}

/** Standard masks need no scratch. */
export function standardRowsScratchBytes(s: Settings): f64 {
  return 0;
}

/**
 * Rows [rowStart, rowEnd) of a row-major f32 matrix with s.cols columns at `scores`; writes the u8
 * mask at `out` and each row's Σ kept scores (f64) at `objectives`. `scratch` is unused.
 */
export function standardRows(s: Settings, rowStart: i32, rowEnd: i32, scores: usize, out: usize, objectives: usize, scratch: usize): void {
  const cols = s.cols;
  const n = s.n;
  const m = s.m;
  const simd = (m & 3) == 0;
  for (let r = rowStart; r < rowEnd; r++) {
    const row = <usize>r * cols;
    let sum: f64 = 0;
    for (let c = 0; c < cols; c += m) {
      const g = scores + ((row + c) << 2);
      sum = simd ? groupSimd(g, n, m, out + row + c, sum) : groupScalar(g, n, m, out + row + c, sum);
    }
    store<f64>(objectives + (<usize>r << 3), sum);
  }
}
