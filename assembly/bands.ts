// Transposable masks straight from a row-major matrix: a band of M rows holds one row of tiles.
// Each band is tiled into scratch, solved by one of the tile kernels, and its tile masks written
// back row-major, with the band's objective (Σ kept scores, f64, row-major order) and, for exact,
// the tiles' LP-dual bounds. The caller never copies tiles.

import { exactScratchBytes, exactTiles } from './exact';
import { greedyScratchBytes, greedyTiles } from './greedy';
import { tsenorScratchBytes, tsenorTiles } from './tsenor';

/** Which tile kernel bandTiles runs: EXACT, GREEDY, else (2) TSENOR. */
const EXACT = 0;
const GREEDY = 1;

function kernelBytes(kind: i32, m: i32): i32 {
  if (kind == EXACT) return exactScratchBytes(m);
  return kind == GREEDY ? greedyScratchBytes(m) : tsenorScratchBytes(m);
}

@inline function align16(x: usize): usize {
  return (x + 15) & ~(<usize>15);
}

/** Bytes of scratch one bandTiles call needs for kernel `kind`, M = m and `cols` columns. */
export function bandScratchBytes(kind: i32, m: i32, cols: i32): i32 {
  const tiles = cols / m;
  return <i32>(
    align16(kernelBytes(kind, m)) + align16(<usize>(m * cols) << 2) + align16(m * cols) + 2 * align16(<usize>(tiles * m) << 3)
  );
}

/** Copies the m×cols band at `src` into cols/m row-major m×m tiles at `dst`. */
function tileBand(src: usize, cols: i32, m: i32, dst: usize): void {
  const tiles = cols / m;
  const sq = m * m;
  for (let r = 0; r < m; r++) {
    const row = src + (<usize>(r * cols) << 2);
    for (let c = 0; c < tiles; c++) {
      const from = row + (<usize>(c * m) << 2);
      const to = dst + (<usize>(c * sq + r * m) << 2);
      let j = 0;
      for (; j + 3 < m; j += 4) v128.store(to + (<usize>j << 2), v128.load(from + (<usize>j << 2)));
      for (; j < m; j++) store<f32>(to + (<usize>j << 2), load<f32>(from + (<usize>j << 2)));
    }
  }
}

/**
 * Writes the band's tile masks row-major at `out`; returns Σ of the kept scores, four entries at a
 * time (a 0/1 mask byte times its score is exact) into four f64 partial sums, plus the M mod 4 tail.
 */
function untileBand(tileMask: usize, src: usize, cols: i32, m: i32, out: usize): f64 {
  const tiles = cols / m;
  const sq = m * m;
  let s01 = f64x2.splat(0);
  let s23 = f64x2.splat(0);
  let tail: f64 = 0;
  for (let r = 0; r < m; r++) {
    for (let c = 0; c < tiles; c++) {
      const from = tileMask + <usize>(c * sq + r * m);
      const at = <usize>(r * cols + c * m);
      let j = 0;
      for (; j + 3 < m; j += 4) {
        const bits = load<u32>(from + j);
        store<u32>(out + at + j, bits);
        const wide = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(i32x4.splat(bits)));
        const x = f32x4.mul(v128.load(src + ((at + j) << 2)), f32x4.convert_i32x4_u(wide));
        s01 = f64x2.add(s01, f64x2.promote_low_f32x4(x));
        s23 = f64x2.add(s23, f64x2.promote_low_f32x4(i32x4.shuffle(x, x, 2, 3, 0, 1)));
      }
      for (; j < m; j++) {
        const kept = load<u8>(from + j);
        store<u8>(out + at + j, kept);
        tail += select<f64>(<f64>load<f32>(src + ((at + j) << 2)), 0, kept != 0);
      }
    }
  }
  return f64x2.extract_lane(s01, 0) + f64x2.extract_lane(s01, 1) + (f64x2.extract_lane(s23, 0) + f64x2.extract_lane(s23, 1)) + tail;
}

/**
 * Bands [start, end) of a row-major f32 matrix with `cols` columns at `scores` (band b = rows
 * b·m .. b·m+m−1): writes the u8 mask row-major at `mask`, each band's objective (f64) at
 * `objectives`, and for exact each tile's LP-dual bound (f64, cols/m per band) at `bounds`.
 * `scratch` holds bandScratchBytes(kind, m, cols).
 */
export function bandTiles(
  kind: i32,
  scores: usize,
  cols: i32,
  m: i32,
  n: i32,
  atMost: i32,
  tau: f64,
  iterations: i32,
  stages: i32,
  localSearchSteps: i32,
  start: i32,
  end: i32,
  mask: usize,
  objectives: usize,
  bounds: usize,
  scratch: usize,
): void {
  const tiles = cols / m;
  const kernel = scratch;
  const tileScores = kernel + align16(kernelBytes(kind, m));
  const tileMask = tileScores + align16(<usize>(m * cols) << 2);
  const u = tileMask + align16(m * cols);
  const v = u + align16(<usize>(tiles * m) << 3);
  for (let b = start; b < end; b++) {
    const band = <usize>b * m * cols;
    const src = scores + (band << 2);
    tileBand(src, cols, m, tileScores);
    if (kind == EXACT) {
      exactTiles(tileScores, m, n, atMost, 0, tiles, tileMask, u, v, bounds + (<usize>(b * tiles) << 3), kernel);
    } else if (kind == GREEDY) {
      greedyTiles(tileScores, m, n, atMost, 0, tiles, tileMask, kernel);
    } else {
      tsenorTiles(tileScores, m, n, atMost, tau, iterations, stages, localSearchSteps, 0, tiles, tileMask, kernel);
    }
    store<f64>(objectives + (<usize>b << 3), untileBand(tileMask, src, cols, m, mask + band));
  }
}
