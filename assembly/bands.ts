// Transposable masks straight from a row-major matrix: a band of M rows holds one row of tiles.
// Each band is tiled into scratch, solved by one of the tile kernels, and its tile masks written
// back row-major, with the band's objective (Σ kept scores, f64, row-major order) and, for exact,
// the tiles' LP-dual bounds. The caller never copies tiles.

import { Method, Settings } from './abi';
import { exactLayout, exactTiles } from './exact';
import { greedyLayout, greedyTiles } from './greedy';
import { layoutAt, layoutEnd, take } from './scratch';
import { tsenorLayout, tsenorTiles } from './tsenor';

// Where the arrays of one bandTiles call lie: the tile kernel's scratch first, then the band's.
let kernel: usize = 0;
let tileScores: usize = 0; // the band as cols/m row-major m×m tiles (f32)
let tileMask: usize = 0; // their masks (u8)
let dualU: usize = 0; // exact: the tiles' duals (f64, cols/m × m each)
let dualV: usize = 0;

/** Takes the tile kernel's arrays, then the band's, from the current layout (scratch.ts). */
function bandLayout(s: Settings): void {
  kernel = <usize>layoutEnd();
  if (s.method == Method.exact) exactLayout(s);
  else if (s.method == Method.greedy) greedyLayout(s);
  else tsenorLayout(s);
  const band = <f64>s.m * s.cols;
  tileScores = take(band, 4);
  tileMask = take(band, 1);
  dualU = take(s.cols, 8);
  dualV = take(s.cols, 8);
}

/** Bytes of scratch one bandTiles call needs. */
export function bandTilesScratchBytes(s: Settings): f64 {
  layoutAt(0);
  bandLayout(s);
  return layoutEnd();
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
 * Bands [start, end) of a row-major f32 matrix with s.cols columns at `scores` (band b = rows
 * b·m .. b·m+m−1), each solved by the tile kernel s.method: writes the u8 mask row-major at `mask`,
 * each band's objective (f64) at `objectives`, and for exact each tile's LP-dual bound (f64, cols/m
 * per band) at `bounds`. `scratch` holds bandTilesScratchBytes(s).
 */
export function bandTiles(s: Settings, start: i32, end: i32, scores: usize, mask: usize, objectives: usize, bounds: usize, scratch: usize): void {
  layoutAt(scratch);
  bandLayout(s);
  const m = s.m;
  const cols = s.cols;
  const tiles = cols / m;
  for (let b = start; b < end; b++) {
    const band = <usize>b * m * cols;
    const src = scores + (band << 2);
    tileBand(src, cols, m, tileScores);
    if (s.method == Method.exact) {
      exactTiles(s, 0, tiles, tileScores, tileMask, dualU, dualV, bounds + (<usize>(b * tiles) << 3), kernel);
    } else if (s.method == Method.greedy) {
      greedyTiles(s, 0, tiles, tileScores, tileMask, kernel);
    } else {
      tsenorTiles(s, 0, tiles, tileScores, tileMask, kernel);
    }
    store<f64>(objectives + (<usize>b << 3), untileBand(tileMask, src, cols, m, mask + band));
  }
}
