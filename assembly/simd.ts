// Small SIMD helpers shared by the kernels (all inlined).

/** Lane-wise `mask ? a : b` for f64x2 (mask lanes all-ones or all-zeros). */
@inline export function select2(a: v128, b: v128, mask: v128): v128 {
  return v128.bitselect(a, b, mask);
}

/** Sum of the four i32 lanes. */
@inline export function hsum32(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

/** Rounds m up to a multiple of 4 (the padded stride of tile rows in scratch). */
@inline export function pad4(m: i32): i32 {
  return (m + 3) & ~3;
}

/** Smallest power of two ≥ m. */
export function pow2AtLeast(m: i32): i32 {
  let p = 1;
  while (p < m) p <<= 1;
  return p;
}
