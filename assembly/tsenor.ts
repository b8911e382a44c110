// TSENOR tiles (Meng, Makni, Mazumder 2025), the method of src/reference/tsenor.ts: per tile the
// entropy-regularised transport solved by Dykstra with a doubling τ schedule, then greedy rounding of
// the fractional solution and local search. Four tiles are solved at once, one per f32x4 lane, so row
// and column sums are plain vertical adds for any M. All quantities stay bounded (S ≤ N, Q ≤ 2^64),
// so f32 never overflows; normalisation is done in f64.
//
// Not bit-identical to the reference, on purpose: f32 iterates with a polynomial e^x (exp4), and S is
// floored at S_MIN when τ doubles, where the reference's f64 entries stay positive by themselves.
// The contract is a valid mask within 0.05% of the reference objective (test/backends/wasm.test.ts);
// the rounding and local search are bit-identical to the reference (assembly/localSearch.ts).

import { Settings } from './abi';
import { greedySelect, localSearchTile, roundingLayout, roundingTile } from './localSearch';
import { layoutAt, layoutEnd, take } from './scratch';

const Q_MAX: f32 = 18446744073709551616.0; // 2^64, as the reference
// S never falls below this: in f64 the reference's e^(−τ) entries stay positive and can regain mass
// (a row with fewer than N useful entries must), where f32 would flush them to 0 for good.
const S_MIN: f32 = 1e-30;

let M = 0;
let A: usize = 0; // m·m v128: normalised scores, lane = tile
let S: usize = 0; // m·m v128
let Q: usize = 0; // m·m v128
let lineF: usize = 0; // m v128: column sums, then factors
let lineG: usize = 0; // m v128: the next iteration's column sums
let prio: usize = 0; // m·m f32: one tile's fractional solution for rounding
let validLanes = 0; // bit k: tile k of the group has a positive range

/** Takes the kernel's work arrays from the current layout (scratch.ts). */
export function tsenorLayout(s: Settings): void {
  const m = s.m;
  M = m;
  const sq = <f64>m * m;
  A = take(sq, 16);
  S = take(sq, 16);
  Q = take(sq, 16);
  lineF = take(m, 16);
  lineG = take(m, 16);
  prio = take(sq, 4);
  roundingLayout(s);
}

/** Bytes of scratch one tsenorTiles call needs. */
export function tsenorTilesScratchBytes(s: Settings): f64 {
  layoutAt(0);
  tsenorLayout(s);
  return layoutEnd();
}

/** e^x for x ≤ 0 (f32x4): range reduction by ln 2 and a degree-6 polynomial; at least S_MIN. */
@inline function exp4(x: v128): v128 {
  x = f32x4.max(x, f32x4.splat(-69.0));
  const k = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504)));
  let r = f32x4.sub(x, f32x4.mul(k, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(k, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.0 / 720.0);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 120.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 24.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 6.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.5));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
  const two = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(k), i32x4.splat(127)), 23);
  return f32x4.mul(p, two);
}

/**
 * Loads tiles t0..t0+3 (lanes past `last` repeat it) normalised to [0, 1]: shifted by the minimum
 * under exact fill, clamped at 0 under atMost, divided by the range. Sets validLanes.
 */
function loadGroup(tiles: usize, t0: i32, last: i32, atMost: bool): void {
  const sq = M * M;
  let ok = 0;
  for (let lane = 0; lane < 4; lane++) {
    const tile = tiles + (<usize>min(t0 + lane, last) * sq << 2);
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = 0; k < sq; k++) {
      const x = <f64>load<f32>(tile + (<usize>k << 2));
      lo = min(lo, x);
      hi = max(hi, x);
    }
    const floor = atMost ? 0 : lo;
    const range = hi - floor;
    const good = range > 0;
    if (good) ok |= 1 << lane;
    for (let k = 0; k < sq; k++) {
      const x = <f64>load<f32>(tile + (<usize>k << 2));
      const a = good ? max(0, x - floor) / range : 0;
      store<f32>(A + (<usize>k << 4) + (<usize>lane << 2), <f32>a);
    }
  }
  validLanes = ok;
}

/** S = exp(τ(a − rowmax)), Q = 1. */
function initKernel(tau: f32): void {
  const t = f32x4.splat(tau);
  for (let i = 0; i < M; i++) {
    const row = <usize>(i * M) << 4;
    let rowMax = f32x4.splat(0);
    for (let j = 0; j < M; j++) rowMax = f32x4.max(rowMax, v128.load(A + row + (<usize>j << 4)));
    for (let j = 0; j < M; j++) {
      const at = row + (<usize>j << 4);
      v128.store(S + at, exp4(f32x4.mul(t, f32x4.sub(v128.load(A + at), rowMax))));
      v128.store(Q + at, f32x4.splat(1));
    }
  }
}

/** n / sum, or 1 where the line sums to 0 (a zero line is left alone). */
@inline function lineFactor(sum: v128, n: v128): v128 {
  const pos = f32x4.gt(sum, f32x4.splat(0));
  return v128.bitselect(f32x4.div(n, v128.bitselect(sum, f32x4.splat(1), pos)), f32x4.splat(1), pos);
}

/** Turns the column sums in lineF into column factors n / sum. */
function columnFactors(n: v128): void {
  for (let j = 0; j < M; j++) {
    const c = lineF + (<usize>j << 4);
    v128.store(c, lineFactor(v128.load(c), n));
  }
}

/** Scales the row at `row` (whose sum is `sum`) to sum n and adds it into the column sums at `sums`. */
@inline function scaleRow(row: usize, sum: v128, n: v128, sums: usize): void {
  const f = lineFactor(sum, n);
  for (let j = 0; j < M; j++) {
    const s = f32x4.mul(v128.load(row + (<usize>j << 4)), f);
    v128.store(row + (<usize>j << 4), s);
    const c = sums + (<usize>j << 4);
    v128.store(c, f32x4.add(v128.load(c), s));
  }
}

/** The row scaling that opens a stage's first iteration, then the column factors. */
function rowPass(n: v128): void {
  for (let j = 0; j < M; j++) v128.store(lineF + (<usize>j << 4), f32x4.splat(0));
  for (let i = 0; i < M; i++) {
    const row = S + (<usize>(i * M) << 4);
    let sum = f32x4.splat(0);
    for (let j = 0; j < M; j++) sum = f32x4.add(sum, v128.load(row + (<usize>j << 4)));
    scaleRow(row, sum, n, lineF);
  }
  columnFactors(n);
}

/**
 * The column scaling (factors in lineF) and box step with Dykstra's correction of one iteration:
 * P = S⊙c⊙Q, S = min(P, 1), Q = P⊘S. With `next`, fused with the next iteration's row scaling, row
 * by row (a row's sum is known once its box step is done), so an iteration is one sweep over S and
 * Q; the column sums build up in a second buffer. The arithmetic is the unfused sequence's.
 */
function boxPass(n: v128, next: bool): void {
  const one = f32x4.splat(1);
  const qMax = f32x4.splat(Q_MAX);
  const zero = f32x4.splat(0);
  if (next) for (let j = 0; j < M; j++) v128.store(lineG + (<usize>j << 4), zero);
  for (let i = 0; i < M; i++) {
    const row = <usize>(i * M) << 4;
    let sum = zero;
    for (let j = 0; j < M; j++) {
      const at = row + (<usize>j << 4);
      const p = f32x4.mul(f32x4.mul(v128.load(S + at), v128.load(lineF + (<usize>j << 4))), v128.load(Q + at));
      // S = min(P, 1); Q = P/S = max(P, 1) (capped): the same values as the branch form, fewer ops.
      // P is never NaN, so the one-instruction pseudo-min/max (pmin/pmax) give min and max.
      const s = f32x4.pmin(p, one);
      v128.store(S + at, s);
      v128.store(Q + at, f32x4.pmin(f32x4.pmax(p, one), qMax));
      sum = f32x4.add(sum, s);
    }
    if (next) scaleRow(S + row, sum, n, lineG);
  }
  if (!next) return;
  const t = lineF;
  lineF = lineG;
  lineG = t;
  columnFactors(n);
}

/** Moves to the next stage (τ doubles): S ← max(S², S_MIN), Q ← min(Q², 2^64). */
function doubleTau(): void {
  const qMax = f32x4.splat(Q_MAX);
  const sMin = f32x4.splat(S_MIN);
  const sq = M * M;
  for (let k = 0; k < sq; k++) {
    const at = <usize>k << 4;
    const s = v128.load(S + at);
    const q = v128.load(Q + at);
    v128.store(S + at, f32x4.max(f32x4.mul(s, s), sMin));
    v128.store(Q + at, f32x4.min(f32x4.mul(q, q), qMax));
  }
}

/**
 * Tiles [start, end) of a batch (`tiles` f32, m·m each) into `mask` (u8, m·m each). The schedule:
 * `stages` stages with τ doubling up to `tau`, `iterations` Dykstra iterations split over them.
 */
export function tsenorTiles(s: Settings, start: i32, end: i32, tiles: usize, mask: usize, scratch: usize): void {
  layoutAt(scratch);
  tsenorLayout(s);
  const m = s.m;
  const n = s.n;
  const atMost = s.atMost;
  const tau = s.tau;
  const iterations = s.iterations;
  const stages = s.stages;
  const localSearchSteps = s.localSearchSteps;
  const sq = m * m;
  const nv = f32x4.splat(<f32>n);
  for (let t0 = start; t0 < end; t0 += 4) {
    loadGroup(tiles, t0, end - 1, atMost != 0);
    let first = tau;
    for (let k = 1; k < stages; k++) first *= 0.5;
    initKernel(<f32>first);
    let done = 0;
    for (let stage = 0; stage < stages; stage++) {
      if (stage > 0) doubleTau();
      const until = <i32>Math.floor((<f64>iterations * (stage + 1)) / stages + 0.5);
      if (done < until) rowPass(nv);
      for (; done < until; done++) boxPass(nv, done + 1 < until);
    }
    for (let lane = 0; lane < 4 && t0 + lane < end; lane++) {
      const good = (validLanes & (1 << lane)) != 0;
      for (let k = 0; k < sq; k++) {
        store<f32>(prio + (<usize>k << 2), good ? load<f32>(S + (<usize>k << 4) + (<usize>lane << 2)) : 0);
      }
      const t = t0 + lane;
      roundingTile(tiles + (<usize>t * sq << 2), mask + <usize>t * sq);
      greedySelect(prio);
      localSearchTile(localSearchSteps);
    }
  }
}
