// Small SIMD helpers shared by the kernels (all inlined).

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
