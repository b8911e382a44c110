// Standard N:M: in every group of M consecutive entries of a row keep the N largest. Entry j is kept
// when fewer than N entries of its group beat it (larger, or equal and earlier), exactly the
// reference rule, so masks are bit-identical. Groups with M % 4 == 0 count with f32x4 compares.
// Each row's objective is summed right after its masks, while the row is in cache, in the order of
// core/matrix.ts rowwiseMaskedSum (four partial sums by index mod 4): two f64x2 add chains.

import { Settings } from './abi';
import { hsum32 } from './simd';

function groupScalar(g: usize, n: i32, m: i32, out: usize): void {
  for (let j = 0; j < m; j++) {
    const x = load<f32>(g + (<usize>j << 2));
    let beaten = 0;
    for (let k = 0; k < m; k++) {
      const y = load<f32>(g + (<usize>k << 2));
      beaten += i32(y > x) | i32(y == x && k < j);
    }
    store<u8>(out + j, beaten < n ? 1 : 0);
  }
}

function groupSimd(g: usize, n: i32, m: i32, out: usize): void {
  for (let j = 0; j < m; j++) {
    const x = f32x4.splat(load<f32>(g + (<usize>j << 2)));
    const jv = i32x4.splat(j);
    let lanes = i32x4(0, 1, 2, 3);
    let cnt = i32x4.splat(0);
    for (let b = 0; b < m; b += 4) {
      const y = v128.load(g + (<usize>b << 2));
      const beats = v128.or(f32x4.gt(y, x), v128.and(f32x4.eq(y, x), i32x4.lt_s(lanes, jv)));
      cnt = i32x4.sub(cnt, beats);
      lanes = i32x4.add(lanes, i32x4.splat(4));
    }
    store<u8>(out + j, hsum32(cnt) < n ? 1 : 0);
  }
}

/**
 * Σ of the kept scores of one row, as rowwiseMaskedSum defines it: partial sums p_r over the indices
 * k ≡ r (mod 4) in index order, returned as (p0 + p1) + (p2 + p3). A 0/1 mask byte times its score is
 * exact, so the dropped entries add zeros.
 */
function rowObjective(scores: usize, mask: usize, cols: i32): f64 {
  let s01 = f64x2.splat(0);
  let s23 = f64x2.splat(0);
  let k = 0;
  for (; k + 3 < cols; k += 4) {
    const bits = load<u32>(mask + k);
    const wide = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(i32x4.splat(bits)));
    const x = f32x4.mul(v128.load(scores + (<usize>k << 2)), f32x4.convert_i32x4_u(wide));
    s01 = f64x2.add(s01, f64x2.promote_low_f32x4(x));
    s23 = f64x2.add(s23, f64x2.promote_low_f32x4(i32x4.shuffle(x, x, 2, 3, 0, 1)));
  }
  let p0 = f64x2.extract_lane(s01, 0);
  let p1 = f64x2.extract_lane(s01, 1);
  let p2 = f64x2.extract_lane(s23, 0);
  const p3 = f64x2.extract_lane(s23, 1);
  // The last cols mod 4 entries (k ≡ 0, 1, 2 mod 4).
  for (let r = 0; k < cols; k++, r++) {
    const x = <f64>(load<f32>(scores + (<usize>k << 2)) * <f32>load<u8>(mask + k));
    if (r == 0) p0 += x;
    else if (r == 1) p1 += x;
    else p2 += x;
  }
  return p0 + p1 + (p2 + p3);
}

/** Standard masks need no scratch. */
export function standardRowsScratchBytes(s: Settings): f64 {
  return 0;
}

/**
 * Rows [rowStart, rowEnd) of a row-major f32 matrix with s.cols columns at `scores`; writes the u8
 * mask at `out` and each row's Σ kept scores (f64, rowObjective) at `objectives`. `scratch` is unused.
 */
export function standardRows(s: Settings, rowStart: i32, rowEnd: i32, scores: usize, out: usize, objectives: usize, scratch: usize): void {
  const cols = s.cols;
  const n = s.n;
  const m = s.m;
  const simd = (m & 3) == 0;
  for (let r = rowStart; r < rowEnd; r++) {
    const row = <usize>r * cols;
    for (let c = 0; c < cols; c += m) {
      const g = scores + ((row + c) << 2);
      if (simd) groupSimd(g, n, m, out + row + c);
      else groupScalar(g, n, m, out + row + c);
    }
    store<f64>(objectives + (<usize>r << 3), rowObjective(scores + (row << 2), out + row, cols));
  }
}
