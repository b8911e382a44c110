// One block of SparseGPT's OBS column sweep for a standard N:M pattern, rows [rowStart, rowEnd):
// the port of obsBlockRows in src/reference/obsSweep.ts (the spec; docs/pruning.md). Per row, in f64:
// slab by slab of M columns, the scores x_c²/U_cc² (to f32) choose the slab's mask (groupScalar, the
// standard kernel's tie rule), then each pruned column c is removed: e = x_c/U_cc, x_c = 0,
// x_{c+1..} −= e·U_{c, c+1..}. Every entry sees the reference's operations in its order (a product,
// then a difference; f64x2 lanes are independent entries), so the result is bit-identical.
//
// Rows are independent: the worker pool runs disjoint row ranges. Pointers are byte offsets the caller
// laid out: w (rows × width f32, swept in place), u (width × width f64, upper triangle read), mask
// (rows × width u8) and err (rows × width f32) written; scratch holds obsScratchBytes(width, m).

import { groupScalar } from './standard';

/** Bytes of scratch per call: the row in f64 and one slab's f32 scores. */
export function obsScratchBytes(width: i32, m: i32): i32 {
  return width * 8 + ((m * 4 + 15) & ~15);
}

/** x[from..width) −= e·uRow[from..width), two entries per f64x2 step. */
@inline function axpyTail(x: usize, uRow: usize, from: i32, width: i32, e: f64): void {
  const ev = f64x2.splat(e);
  let q = from;
  for (; q + 1 < width; q += 2) {
    const o = <usize>q << 3;
    v128.store(x + o, f64x2.sub(v128.load(x + o), f64x2.mul(ev, v128.load(uRow + o))));
  }
  if (q < width) {
    const o = <usize>q << 3;
    store<f64>(x + o, load<f64>(x + o) - e * load<f64>(uRow + o));
  }
}

export function obsBlockRows(
  w: usize,
  width: i32,
  u: usize,
  n: i32,
  m: i32,
  rowStart: i32,
  rowEnd: i32,
  mask: usize,
  err: usize,
  scratch: usize,
): void {
  const x = scratch;
  const scores = scratch + (<usize>width << 3);
  for (let r = rowStart; r < rowEnd; r++) {
    const at = <usize>r * <usize>width;
    const wRow = w + (at << 2);
    const errRow = err + (at << 2);
    const maskRow = mask + at;
    for (let c = 0; c < width; c++) store<f64>(x + (<usize>c << 3), <f64>load<f32>(wRow + (<usize>c << 2)));
    memory.fill(errRow, 0, <usize>width << 2);
    for (let c0 = 0; c0 < width; c0 += m) {
      for (let t = 0; t < m; t++) {
        const c = c0 + t;
        const d = load<f64>(u + ((<usize>c * <usize>width + <usize>c) << 3));
        const v = load<f64>(x + (<usize>c << 3));
        store<f32>(scores + (<usize>t << 2), <f32>((v * v) / (d * d)));
      }
      groupScalar(scores, n, m, maskRow + c0);
      for (let t = 0; t < m; t++) {
        if (load<u8>(maskRow + c0 + t)) continue;
        const c = c0 + t;
        const uRow = u + ((<usize>c * <usize>width) << 3);
        const e = load<f64>(x + (<usize>c << 3)) / load<f64>(uRow + (<usize>c << 3));
        store<f32>(errRow + (<usize>c << 2), <f32>e);
        store<f64>(x + (<usize>c << 3), 0);
        axpyTail(x, uRow, c + 1, width, e);
      }
    }
    for (let c = 0; c < width; c++) store<f32>(wRow + (<usize>c << 2), <f32>load<f64>(x + (<usize>c << 3)));
  }
}
