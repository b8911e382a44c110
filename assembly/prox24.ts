// The 2:4 proximal operator, a port of src/reference/prox24.ts (read its header for the method and
// the proofs): per group, sort the magnitudes, normalise by the largest, keep the best of the
// top-two, three-nonzero and four-nonzero candidates, restore order and signs. The same f64
// operations in the same order as the reference, so results agree to the last f32 bit in practice.
//
// The search is branchy (root searches, Newton with a Cholesky solve), so it runs one group at a
// time; SIMD lanes across groups would mostly idle on the groups that take the long paths.

import { Settings } from './abi';
import { layoutAt, layoutEnd, take } from './scratch';

const TOP_TWO_ONLY: f64 = 4;
const THREE_NONZERO_LIMIT: f64 = 2;
const NEGLIGIBLE: f64 = 1e-200; // below this normalised μ the f32 answer is z itself
const ROOT_STEPS = 200;
const SHORT_DESCENT = 6;
const LONG_DESCENT = 400;
const NEWTON_STEPS = 8;
const SETTLED: f64 = 2.5e-16; // relative convergence tests, as the reference
const STATIONARY: f64 = 1e-15;

// Scratch vectors of one call (f64, 4 each; the Hessian 16), laid out by prox24Groups.
let B: usize = 0;
let BEST: usize = 0;
let WORK: usize = 0;
let HESS: usize = 0;
let GRAD: usize = 0;
let TRIAL: usize = 0;
let MIXED: usize = 0;

/** Takes the kernel's work vectors from the current layout (scratch.ts). */
function prox24Layout(): void {
  B = take(4, 8);
  BEST = take(4, 8);
  WORK = take(4, 8);
  GRAD = take(4, 8);
  TRIAL = take(4, 8);
  HESS = take(16, 8);
  MIXED = take(4, 8);
}

/** Bytes of scratch one prox24Groups call needs. */
export function prox24GroupsScratchBytes(s: Settings): f64 {
  layoutAt(0);
  prox24Layout();
  return layoutEnd();
}

@inline function at(v: usize, i: i32): f64 {
  return load<f64>(v + (<usize>i << 3));
}

@inline function put(v: usize, i: i32, x: f64): void {
  store<f64>(v + (<usize>i << 3), x);
}

function copy4(dst: usize, src: usize): void {
  for (let i = 0; i < 4; i++) put(dst, i, at(src, i));
}

/**
 * F(to) − F(from) on the sorted group in B, summed so that only the change itself can cancel (see
 * objectiveChange in the reference); MIXED holds the point between the two.
 */
function objectiveChange(from: usize, to: usize, mu: f64): f64 {
  copy4(MIXED, from);
  let quadratic: f64 = 0;
  let cubic: f64 = 0;
  for (let i = 0; i < 4; i++) {
    const t = at(to, i);
    const f = at(from, i);
    const bi = at(B, i);
    quadratic += (t - f) * (t - bi + (f - bi));
    cubic += (t - f) * othersPairSum(MIXED, i);
    put(MIXED, i, t);
  }
  return 0.5 * quadratic + mu * cubic;
}

@inline function ratio(num: f64, den: f64): f64 {
  return num == 0 ? 0 : num / den;
}

// The three-nonzero reduction's parameters (see bestThreeNonzero in the reference).
let MU: f64 = 0;
let B3: f64 = 0;
let SUM_SQ: f64 = 0;
let DIFF_SQ: f64 = 0;

let B1: f64 = 0;
let B2: f64 = 0;

/** w1 and w2 of the two-entry subproblem at s, without cancellation (see pairLarger in the reference). */
@inline function pairLarger(s: f64): f64 {
  return (B1 + s * ratio(B1 - B2, 1 - s)) / (1 + s);
}

@inline function pairSmaller(s: f64): f64 {
  return (B2 - s * ratio(B1 - B2, 1 - s)) / (1 + s);
}

/** ψ'(t) at t = w3 (the search variable of the last root search); m'(s) = w1·w2. */
function slope(t: f64): f64 {
  const s = MU * t;
  return t - B3 + MU * pairLarger(s) * pairSmaller(s);
}

function curvature(s: f64): f64 {
  const p = 1 + s;
  const q = 1 - s;
  return 1 - MU * MU * (SUM_SQ / (2 * p * p * p) + ratio(DIFF_SQ, 2 * q * q * q));
}

function curvatureDerivative(s: f64): f64 {
  const p2 = (1 + s) * (1 + s);
  const q2 = (1 - s) * (1 - s);
  return 1.5 * MU * MU * (SUM_SQ / (p2 * p2) - ratio(DIFF_SQ, q2 * q2));
}

// Which increasing function a root search works on.
const SLOPE = 0;
const CURVATURE = 1;
const MINUS_CURVATURE = 2;

@inline function value(kind: i32, x: f64): f64 {
  return kind == SLOPE ? slope(x) : kind == CURVATURE ? curvature(x) : -curvature(x);
}

@inline function derivative(kind: i32, x: f64): f64 {
  return kind == SLOPE ? curvature(MU * x) : kind == CURVATURE ? curvatureDerivative(x) : -curvatureDerivative(x);
}

/** The root of an increasing function in [lo, hi]: Newton safeguarded by bisection (as the reference). */
function rootIncreasing(kind: i32, lo: f64, hi: f64): f64 {
  let x = 0.5 * (lo + hi);
  for (let i = 0; i < ROOT_STEPS; i++) {
    const fx = value(kind, x);
    if (fx == 0) return x;
    if (fx < 0) lo = x;
    else hi = x;
    const step = fx / derivative(kind, x);
    const newton = x - step;
    if (Math.abs(step) <= 1e-15 * Math.abs(x)) return Math.min(Math.max(newton, lo), hi);
    const next = newton > lo && newton < hi ? newton : 0.5 * (lo + hi);
    if (Math.abs(next - x) <= 1e-15 * Math.abs(x) || hi - lo <= 1e-16 * hi) return next;
    x = next;
  }
  return x;
}

/** The best point with exactly three nonzeros, into WORK; false when there is no such local minimum. */
function bestThreeNonzero(mu: f64): bool {
  const b1 = at(B, 0);
  const b2 = at(B, 1);
  const b3 = at(B, 2);
  if (b2 == 0 || b3 == 0) return false;
  MU = mu;
  B1 = b1;
  B2 = b2;
  B3 = b3;
  SUM_SQ = (b1 + b2) * (b1 + b2);
  DIFF_SQ = (b1 - b2) * (b1 - b2);
  const sMax = b2 / b1;
  const rho = Math.sqrt((b1 - b2) / (b1 + b2));
  const sPeak = Math.min(sMax, (1 - rho) / (1 + rho));
  if (!(curvature(sPeak) > 0)) return false;
  const sLo = curvature(0) >= 0 ? 0 : rootIncreasing(CURVATURE, 0, sPeak);
  const sHi = curvature(sMax) >= 0 ? sMax : rootIncreasing(MINUS_CURVATURE, sPeak, sMax);
  const tLo = sLo / mu;
  const tTop = Math.min(sHi / mu, b3);
  if (!(tTop > tLo && slope(tLo) < 0)) return false;
  const slopeTop = tTop == b3 ? Math.max(slope(tTop), 0) : slope(tTop);
  if (!(slopeTop >= 0)) return false;
  const t = slopeTop == 0 ? tTop : rootIncreasing(SLOPE, tLo, tTop);
  const s = mu * t;
  put(WORK, 0, pairLarger(s));
  put(WORK, 1, pairSmaller(s));
  put(WORK, 2, t);
  put(WORK, 3, 0);
  return at(WORK, 1) > 0 && at(WORK, 2) > 0;
}

/** Σ of pairwise products of the three entries other than i (the reference's summation order). */
function othersPairSum(w: usize, i: i32): f64 {
  let sum: f64 = 0;
  for (let j = 0; j < 4; j++) {
    if (j == i) continue;
    for (let k = j + 1; k < 4; k++) if (k != i) sum += at(w, j) * at(w, k);
  }
  return sum;
}

@inline function hasSettled(next: f64, previous: f64): bool {
  return Math.abs(next - previous) <= SETTLED * next;
}

/**
 * `sweeps` rounds of coordinate descent on w (in place), in locals: each c_i sums the pairwise
 * products of the other three in othersPairSum's order, so the arithmetic is the reference's.
 */
function coordinateDescent(mu: f64, w: usize, sweeps: i32): void {
  const b0 = at(B, 0);
  const b1 = at(B, 1);
  const b2 = at(B, 2);
  const b3 = at(B, 3);
  let w0 = at(w, 0);
  let w1 = at(w, 1);
  let w2 = at(w, 2);
  let w3 = at(w, 3);
  for (let sweep = 0; sweep < sweeps; sweep++) {
    const n0 = Math.max(b0 - mu * (w1 * w2 + w1 * w3 + w2 * w3), 0);
    let settled = hasSettled(n0, w0);
    w0 = n0;
    const n1 = Math.max(b1 - mu * (w0 * w2 + w0 * w3 + w2 * w3), 0);
    settled = settled && hasSettled(n1, w1);
    w1 = n1;
    const n2 = Math.max(b2 - mu * (w0 * w1 + w0 * w3 + w1 * w3), 0);
    settled = settled && hasSettled(n2, w2);
    w2 = n2;
    const n3 = Math.max(b3 - mu * (w0 * w1 + w0 * w2 + w1 * w2), 0);
    settled = settled && hasSettled(n3, w3);
    w3 = n3;
    if (settled) break;
  }
  put(w, 0, w0);
  put(w, 1, w1);
  put(w, 2, w2);
  put(w, 3, w3);
}

/** Solves HESS·x = GRAD in place (x into GRAD) by Cholesky; false when HESS is not positive definite. */
function solveSpd(): bool {
  const h = HESS;
  const g = GRAD;
  for (let j = 0; j < 4; j++) {
    let d = at(h, j * 4 + j);
    for (let k = 0; k < j; k++) d -= at(h, j * 4 + k) * at(h, j * 4 + k);
    if (!(d > 1e-14)) return false;
    const l = Math.sqrt(d);
    put(h, j * 4 + j, l);
    for (let i = j + 1; i < 4; i++) {
      let s = at(h, i * 4 + j);
      for (let k = 0; k < j; k++) s -= at(h, i * 4 + k) * at(h, j * 4 + k);
      put(h, i * 4 + j, s / l);
    }
  }
  for (let i = 0; i < 4; i++) {
    let s = at(g, i);
    for (let k = 0; k < i; k++) s -= at(h, i * 4 + k) * at(g, k);
    put(g, i, s / at(h, i * 4 + i));
  }
  for (let i = 3; i >= 0; i--) {
    let s = at(g, i);
    for (let k = i + 1; k < 4; k++) s -= at(h, k * 4 + i) * at(g, k);
    put(g, i, s / at(h, i * 4 + i));
  }
  return true;
}

/** Newton polish of WORK on the 4-nonzero stationarity system; true at a strict local minimum. */
function newtonPolish(mu: f64, convex: bool): bool {
  const w = WORK;
  for (let step = 0; step < NEWTON_STEPS; step++) {
    if (!(at(w, 3) > 0)) return false;
    let total: f64 = 0;
    let stationary = true;
    for (let i = 0; i < 4; i++) total += at(w, i);
    for (let i = 0; i < 4; i++) {
      const gi = at(w, i) - at(B, i) + mu * othersPairSum(w, i);
      put(GRAD, i, gi);
      stationary = stationary && Math.abs(gi) <= STATIONARY * at(B, i);
      for (let j = 0; j < 4; j++) {
        put(HESS, i * 4 + j, i == j ? 1 : mu * (total - at(w, i) - at(w, j)));
      }
    }
    if (stationary && convex) return true;
    if (!solveSpd()) return false;
    if (stationary) return true;
    for (let i = 0; i < 4; i++) put(TRIAL, i, at(w, i) - at(GRAD, i));
    if (!(at(TRIAL, 3) > 0) || objectiveChange(w, TRIAL, mu) > 0) return false;
    copy4(w, TRIAL);
  }
  return false;
}

/** Necessary condition for a stationary point with four nonzeros (bounds from the order-reversing map). */
function mayHaveFourNonzero(mu: f64): bool {
  const lower = GRAD;
  const upper = TRIAL;
  for (let i = 0; i < 4; i++) {
    put(lower, i, 0);
    put(upper, i, at(B, i));
  }
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 4; i++) {
      const lo = Math.max(at(B, i) - mu * othersPairSum(upper, i), 0);
      const hi = at(B, i) - mu * othersPairSum(lower, i);
      if (!(hi > 0)) return false;
      put(lower, i, lo);
      put(upper, i, hi);
    }
  }
  return true;
}

/** Keeps WORK as the best candidate when its objective is lower; returns the best objective. */
function consider(mu: f64): void {
  if (objectiveChange(BEST, WORK, mu) < 0) copy4(BEST, WORK);
}

/** Four-nonzero candidates from two starting points (the first local minimum found ends the search). */
function fourNonzero(mu: f64, convex: bool): void {
  for (let start = 0; start < 2; start++) {
    const scale: f64 = start == 0 ? 1 : 0.5;
    for (let i = 0; i < 4; i++) put(WORK, i, scale * at(B, i));
    coordinateDescent(mu, WORK, SHORT_DESCENT);
    let found = newtonPolish(mu, convex);
    if (!found) {
      coordinateDescent(mu, WORK, LONG_DESCENT);
      found = newtonPolish(mu, convex);
    }
    consider(mu);
    if (found) return;
  }
}

/** Strict convexity of the objective on the box [0, b] (Gershgorin; see convexOnBox in the reference). */
@inline function convexOnBox(mu: f64): bool {
  return 2 * mu * (at(B, 0) + at(B, 1) + at(B, 2)) < 1;
}

/** The convex case: the support from the KKT conditions, sparsest first (see solveConvex in the reference). */
function solveConvex(mu: f64): void {
  const b0 = at(B, 0);
  const b1 = at(B, 1);
  const b2 = at(B, 2);
  if (b2 <= mu * b0 * b1) return;
  if (at(B, 3) <= mu * (b0 * b1 + b0 * b2 + b1 * b2) && bestThreeNonzero(mu)) {
    consider(mu);
    if (at(B, 3) <= mu * othersPairSum(WORK, 3)) return;
  }
  fourNonzero(mu, true);
}

/** Solves the sorted, normalised group in B into BEST. */
function solveSorted(mu: f64): void {
  copy4(BEST, B);
  put(BEST, 2, 0);
  put(BEST, 3, 0);
  if (mu > TOP_TWO_ONLY) return;
  if (convexOnBox(mu)) {
    solveConvex(mu);
    return;
  }
  if (mu <= THREE_NONZERO_LIMIT && bestThreeNonzero(mu)) consider(mu);
  if (mayHaveFourNonzero(mu)) fourNonzero(mu, false);
}

/**
 * The exact 2:4 proximal operator with λ = s.lambda on groups [start, end) of the f32 array at `z`
 * (group g is z[4g..4g+3]), written into `out` (f32). λ ≥ 0 and finite z are checked by the caller.
 */
export function prox24Groups(s: Settings, start: i32, end: i32, z: usize, out: usize, scratch: usize): void {
  layoutAt(scratch);
  prox24Layout();
  const lambda = s.lambda;
  for (let g = start; g < end; g++) {
    const base = <usize>g << 4;
    const a0 = Math.abs(<f64>load<f32>(z + base));
    const a1 = Math.abs(<f64>load<f32>(z + base, 4));
    const a2 = Math.abs(<f64>load<f32>(z + base, 8));
    const a3 = Math.abs(<f64>load<f32>(z + base, 12));
    // Ranks by a stable sorting network (ties: the lower index ranks first), packed 2 bits each.
    let order: i32 = 0 | (1 << 2) | (2 << 4) | (3 << 6);
    order = rankPair(order, 0, 1, a0, a1, a2, a3);
    order = rankPair(order, 1, 2, a0, a1, a2, a3);
    order = rankPair(order, 0, 1, a0, a1, a2, a3);
    order = rankPair(order, 2, 3, a0, a1, a2, a3);
    order = rankPair(order, 1, 2, a0, a1, a2, a3);
    order = rankPair(order, 0, 1, a0, a1, a2, a3);
    const scale = pick(order & 3, a0, a1, a2, a3);
    if (scale == 0 || lambda * scale <= NEGLIGIBLE) {
      v128.store(out + base, v128.load(z + base));
      continue;
    }
    for (let k = 0; k < 4; k++) put(B, k, pick((order >> (2 * k)) & 3, a0, a1, a2, a3) / scale);
    solveSorted(lambda * scale);
    for (let k = 0; k < 4; k++) {
      const i = <usize>((order >> (2 * k)) & 3) << 2;
      const magnitude = <f32>(at(BEST, k) * scale);
      store<f32>(out + base + i, load<f32>(z + base + i) < 0 ? -magnitude : magnitude);
    }
  }
}

@inline function pick(i: i32, a0: f64, a1: f64, a2: f64, a3: f64): f64 {
  return i == 0 ? a0 : i == 1 ? a1 : i == 2 ? a2 : a3;
}

/**
 * One step of adjacent-swap insertion sort on the packed ranks: swaps positions p and q (q = p + 1)
 * when the later one is strictly larger (equal values keep their order, so the sort is stable).
 */
@inline function rankPair(order: i32, p: i32, q: i32, a0: f64, a1: f64, a2: f64, a3: f64): i32 {
  const ip = (order >> (2 * p)) & 3;
  const iq = (order >> (2 * q)) & 3;
  if (!(pick(ip, a0, a1, a2, a3) < pick(iq, a0, a1, a2, a3))) return order;
  const cleared = order & ~((3 << (2 * p)) | (3 << (2 * q)));
  return cleared | (iq << (2 * p)) | (ip << (2 * q));
}
