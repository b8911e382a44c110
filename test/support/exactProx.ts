/**
 * High-precision oracle for the 2:4 prox on one face (test support).
 *
 * On a face (the entries outside it 0, the others keeping the signs of z) an interior minimiser is a
 * root of
 *   g_i(w) = w_i − a_i + λ·c_i(w) = 0   for i in the face, a = |z|,
 * c_i the Σ of pairwise products of the face's other entries (w_j·w_k on a face of three), which
 * Newton's method (Jacobian J_ii = 1, J_ij = λ·Σ of the face's entries other than i and j) polishes
 * from a nearby point to any precision. Arithmetic is binary fixed point on BigInt with FRACTION_BITS
 * bits: every f32 and f64 input of moderate exponent is exact there, so the root is known to ~2^-300,
 * and "within half an f32 ulp" can be decided exactly, with no rounding in the test itself.
 */

import { faceDescent } from './prox24Oracle.js';

const FRACTION_BITS = 320n;
const ONE = 1n << FRACTION_BITS;

/** x exactly as a fixed-point BigInt; throws if x has bits below the fixed-point resolution. */
export function toFixed(x: number): bigint {
  if (x === 0) return 0n;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const exponent = (bits >> 52n) & 0x7ffn;
  const mantissa = exponent === 0n ? bits & 0xfffffffffffffn : (bits & 0xfffffffffffffn) | (1n << 52n);
  const shift = FRACTION_BITS + (exponent === 0n ? 1n : exponent) - 1075n;
  if (shift < 0n) throw new Error(`toFixed: ${x} is below the fixed-point resolution`);
  const value = mantissa << shift;
  return x < 0 ? -value : value;
}

const mul = (a: bigint, b: bigint) => (a * b) >> FRACTION_BITS;
const div = (a: bigint, b: bigint) => (a << FRACTION_BITS) / b;
const abs = (a: bigint) => (a < 0n ? -a : a);

/** Σ_{j<k; j, k ≠ i} w_j·w_k over the entries of `w` (fixed point). */
function othersPairSum(w: readonly bigint[], i: number): bigint {
  let sum = 0n;
  for (let j = 0; j < w.length; j++) {
    for (let k = j + 1; k < w.length; k++) if (j !== i && k !== i) sum += mul(w[j]!, w[k]!);
  }
  return sum;
}

/** Solves m·x = g (n × n, row-major, fixed point) by Gaussian elimination with partial pivoting. */
function solveLinear(m: bigint[], g: bigint[]): bigint[] {
  const n = g.length;
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (abs(m[r * n + c]!) > abs(m[pivot * n + c]!)) pivot = r;
    for (let k = 0; k < n; k++) [m[c * n + k], m[pivot * n + k]] = [m[pivot * n + k]!, m[c * n + k]!];
    [g[c], g[pivot]] = [g[pivot]!, g[c]!];
    for (let r = c + 1; r < n; r++) {
      const factor = div(m[r * n + c]!, m[c * n + c]!);
      for (let k = c; k < n; k++) m[r * n + k] = m[r * n + k]! - mul(factor, m[c * n + k]!);
      g[r] = g[r]! - mul(factor, g[c]!);
    }
  }
  const x = new Array<bigint>(n).fill(0n);
  for (let r = n - 1; r >= 0; r--) {
    let s = g[r]!;
    for (let k = r + 1; k < n; k++) s -= mul(m[r * n + k]!, x[k]!);
    x[r] = div(s, m[r * n + r]!);
  }
  return x;
}

/**
 * The stationary point of a face near `start` (magnitudes, f64), for the face's magnitudes `a` (three
 * or four) and λ: Newton's method in fixed point until the step is below 2^-300.
 */
export function faceRoot(a: readonly number[], lambda: number, start: readonly number[]): bigint[] {
  const target = a.map(toFixed);
  const l = toFixed(lambda);
  const w = start.map(toFixed);
  const n = w.length;
  for (let iteration = 0; iteration < 60; iteration++) {
    const total = w.reduce((sum, x) => sum + x, 0n);
    const g = w.map((x, i) => x - target[i]! + mul(l, othersPairSum(w, i)));
    const jacobian: bigint[] = [];
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) jacobian.push(i === j ? ONE : mul(l, total - w[i]! - w[j]!));
    const step = solveLinear(jacobian, g);
    let largest = 0n;
    for (let i = 0; i < n; i++) {
      w[i] = w[i]! - step[i]!;
      if (abs(step[i]!) > largest) largest = abs(step[i]!);
    }
    if (largest < 1n << (FRACTION_BITS - 300n)) return w;
  }
  throw new Error('faceRoot: Newton did not converge (start too far from a root)');
}

/** 2·F(w) = ‖w − a‖² + 2λ·e3(w) for one group's magnitudes (fixed point; w, a and λ in fixed point). */
export function fixedObjective(w: readonly bigint[], a: readonly bigint[], l: bigint): bigint {
  let quadratic = 0n;
  for (let i = 0; i < w.length; i++) quadratic += mul(w[i]! - a[i]!, w[i]! - a[i]!);
  let e3 = 0n;
  for (let i = 0; i < w.length; i++) for (let j = i + 1; j < w.length; j++) for (let k = j + 1; k < w.length; k++) e3 += mul(mul(w[i]!, w[j]!), w[k]!);
  return quadratic + 2n * mul(l, e3);
}

/** Whether the f32 magnitude `x` (> 0) is within half an f32 ulp of `exact` (fixed point), either side. */
export function withinHalfUlpF32(x: number, exact: bigint): boolean {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, x);
  const bits = view.getUint32(0);
  view.setUint32(0, bits + 1);
  const above = view.getFloat32(0);
  view.setUint32(0, bits - 1);
  const below = view.getFloat32(0);
  const v = toFixed(x);
  return 2n * exact >= v + toFixed(below) && 2n * exact <= v + toFixed(above);
}

/** The faces a group's minimiser may lie inside besides the top two: every three entries, and all four. */
const FACES = [
  [0, 1, 2],
  [0, 1, 3],
  [0, 2, 3],
  [1, 2, 3],
  [0, 1, 2, 3],
];
/** Starting points of the face descents, as multiples of the magnitudes (more than the solver's two). */
const STARTS = [1, 0.75, 0.5, 0.25];

/** The prox of one group to ~2^-300: magnitudes (fixed point, 0 off the support) and the support. */
export interface ExactGroupProx {
  w: bigint[];
  support: number[];
}

/**
 * The prox of group z (f32 values whose nonzero magnitudes differ) under λ > 0, independent of the
 * solver: the best of the top two (exact) and every interior stationary point of a face of three or
 * four entries, found by coordinate descent from four starts (test/support/prox24Oracle.ts) and
 * polished by `faceRoot`, compared by their fixed-point objectives. The global minimiser lies inside
 * one face (the top two being the best point of every face of two), so it is among these whenever a
 * descent reaches its basin. Undefined when the best two candidates of different supports are within
 * `tie`·‖z‖² of each other: there rounding in any f64 solver may decide.
 */
export function exactGroupProx(z: ArrayLike<number>, lambda: number, tie = 1e-12): ExactGroupProx | undefined {
  const a = Array.from({ length: 4 }, (_, i) => Math.abs(z[i] as number));
  const scale = Math.max(...a);
  const b = a.map((x) => x / scale);
  const mu = lambda * scale;
  const target = a.map(toFixed);
  const l = toFixed(lambda);
  const order = [0, 1, 2, 3].sort((i, j) => (a[j] as number) - (a[i] as number) || i - j);
  const topTwo = [order[0]!, order[1]!].sort();
  const candidates: (ExactGroupProx & { value: bigint })[] = [];
  const add = (support: number[], w: bigint[]) => candidates.push({ support, w, value: fixedObjective(w, target, l) });
  add(topTwo, target.map((x, i) => (topTwo.includes(i) ? x : 0n)));
  for (const face of FACES) {
    for (const start of STARTS) {
      const descent = faceDescent(b, mu, face, start);
      if (!face.every((i) => (descent[i] as number) > 0)) continue;
      const root = faceRoot(
        face.map((i) => a[i] as number),
        lambda,
        face.map((i) => (descent[i] as number) * scale),
      );
      if (!root.every((x) => x > 0n)) continue;
      const w = [0n, 0n, 0n, 0n];
      face.forEach((i, k) => (w[i] = root[k]!));
      add(face, w);
    }
  }
  candidates.sort((p, q) => (p.value < q.value ? -1 : p.value > q.value ? 1 : 0));
  const best = candidates[0]!;
  const rival = candidates.find((c) => c.support.length !== best.support.length || c.support.some((i, k) => i !== best.support[k]));
  const norm = target.reduce((sum, x) => sum + mul(x, x), 0n);
  const margin = toFixed(tie);
  if (rival && rival.value - best.value < mul(margin, norm)) return undefined;
  return { w: best.w, support: best.support };
}
