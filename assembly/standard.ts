// Standard N:M: in every group of M consecutive entries of a row keep the N largest. Entry j is kept
// when fewer than N entries of its group beat it (larger, or equal and earlier), exactly the
// reference rule, so masks are bit-identical. Groups with M % 4 == 0 go four at a time, one per f32x4
// lane (fourGroups: each pair of positions is compared once, for all four groups); the rest of a row
// counts with f32x4 compares along the group (groupSimd), or scalar when M % 4 ≠ 0.
// Each row's objective is summed right after its masks, while the row is in cache, in the order of
// core/matrix.ts rowwiseMaskedSum (four partial sums by index mod 4): two f64x2 add chains.

import { Settings } from './abi';
import { hsum32 } from './simd';

export function groupScalar(g: usize, n: i32, m: i32, out: usize): void {
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
 * Four consecutive groups of M (M % 4 == 0) at g, one per lane. Their positions are transposed into
 * M vectors x_p = (group 0's p-th score, …, group 3's) in scratch; for every pair p < q, c = x_p ≥ x_q
 * says p beats q (equal: the earlier wins), else q beats p, so one compare updates both counts
 * (count_p starts at M − 1 − p, every later position assumed to beat it, and gains c = −1 where it
 * does not). Kept = count < N, transposed back to four rows of mask bytes.
 */
function fourGroups(g: usize, n: i32, m: i32, out: usize, scratch: usize): void {
  const xs = scratch;
  const counts = scratch + (<usize>m << 4);
  const group = <usize>m << 2;
  for (let b = 0; b < m; b += 4) {
    const o = <usize>b << 2;
    const a0 = v128.load(g + o);
    const a1 = v128.load(g + group + o);
    const a2 = v128.load(g + 2 * group + o);
    const a3 = v128.load(g + 3 * group + o);
    const t0 = i32x4.shuffle(a0, a1, 0, 4, 1, 5);
    const t1 = i32x4.shuffle(a2, a3, 0, 4, 1, 5);
    const t2 = i32x4.shuffle(a0, a1, 2, 6, 3, 7);
    const t3 = i32x4.shuffle(a2, a3, 2, 6, 3, 7);
    const at = xs + (<usize>b << 4);
    v128.store(at, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
    v128.store(at, i32x4.shuffle(t0, t1, 2, 3, 6, 7), 16);
    v128.store(at, i32x4.shuffle(t2, t3, 0, 1, 4, 5), 32);
    v128.store(at, i32x4.shuffle(t2, t3, 2, 3, 6, 7), 48);
  }
  memory.fill(counts, 0, <usize>m << 4);
  for (let p = 0; p < m; p++) {
    const xp = v128.load(xs + (<usize>p << 4));
    let cp = i32x4.splat(m - 1 - p);
    for (let q = p + 1; q < m; q++) {
      const c = f32x4.ge(xp, v128.load(xs + (<usize>q << 4)));
      cp = i32x4.add(cp, c);
      const at = counts + (<usize>q << 4);
      v128.store(at, i32x4.sub(v128.load(at), c));
    }
    const at = counts + (<usize>p << 4);
    v128.store(at, i32x4.add(v128.load(at), cp));
  }
  const limit = i32x4.splat(n);
  const one = i8x16.splat(1);
  for (let b = 0; b < m; b += 4) {
    const at = counts + (<usize>b << 4);
    const k0 = i32x4.lt_s(v128.load(at), limit);
    const k1 = i32x4.lt_s(v128.load(at, 16), limit);
    const k2 = i32x4.lt_s(v128.load(at, 32), limit);
    const k3 = i32x4.lt_s(v128.load(at, 48), limit);
    const t0 = i32x4.shuffle(k0, k1, 0, 4, 1, 5);
    const t1 = i32x4.shuffle(k2, k3, 0, 4, 1, 5);
    const t2 = i32x4.shuffle(k0, k1, 2, 6, 3, 7);
    const t3 = i32x4.shuffle(k2, k3, 2, 6, 3, 7);
    // Row q of the transpose holds group q's four flags (−1/0); narrowed to bytes, masked to 0/1.
    const bytes = v128.and(
      i8x16.narrow_i16x8_s(
        i16x8.narrow_i32x4_s(i32x4.shuffle(t0, t1, 0, 1, 4, 5), i32x4.shuffle(t0, t1, 2, 3, 6, 7)),
        i16x8.narrow_i32x4_s(i32x4.shuffle(t2, t3, 0, 1, 4, 5), i32x4.shuffle(t2, t3, 2, 3, 6, 7)),
      ),
      one,
    );
    store<u32>(out + b, i32x4.extract_lane(bytes, 0));
    store<u32>(out + <usize>m + b, i32x4.extract_lane(bytes, 1));
    store<u32>(out + 2 * <usize>m + b, i32x4.extract_lane(bytes, 2));
    store<u32>(out + 3 * <usize>m + b, i32x4.extract_lane(bytes, 3));
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

/** Scratch of the four-group path: M transposed score vectors and M count vectors. */
export function standardRowsScratchBytes(s: Settings): f64 {
  return (s.m & 3) == 0 ? <f64>(s.m * 32) : 0;
}

/**
 * Rows [rowStart, rowEnd) of a row-major f32 matrix with s.cols columns at `scores`; writes the u8
 * mask at `out` and each row's Σ kept scores (f64, rowObjective) at `objectives`; `scratch` holds
 * standardRowsScratchBytes.
 */
export function standardRows(s: Settings, rowStart: i32, rowEnd: i32, scores: usize, out: usize, objectives: usize, scratch: usize): void {
  const cols = s.cols;
  const n = s.n;
  const m = s.m;
  const simd = (m & 3) == 0;
  for (let r = rowStart; r < rowEnd; r++) {
    const row = <usize>r * cols;
    let c = 0;
    if (simd) {
      for (; c + 4 * m <= cols; c += 4 * m) fourGroups(scores + ((row + c) << 2), n, m, out + row + c, scratch);
    }
    for (; c < cols; c += m) {
      const g = scores + ((row + c) << 2);
      if (simd) groupSimd(g, n, m, out + row + c);
      else groupScalar(g, n, m, out + row + c);
    }
    store<f64>(objectives + (<usize>r << 3), rowObjective(scores + (row << 2), out + row, cols));
  }
}
