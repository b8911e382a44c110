/**
 * High-precision oracle for the 2:4 prox on a face with three nonzeros (test support).
 *
 * On that face (|w4| = 0, the others keep the signs of z) the minimiser is a root of
 *   g_i(w) = w_i − a_i + λ·w_j·w_k = 0   for {i, j, k} = the three kept positions, a = |z|,
 * which Newton's method (Jacobian [[1, λw3, λw2], [λw3, 1, λw1], [λw2, λw1, 1]]) polishes from a
 * nearby point to any precision. Arithmetic is binary fixed point on BigInt with FRACTION_BITS bits:
 * every f32 and f64 input of moderate exponent is exact there, so the root is known to ~2^-300, and
 * "within half an f32 ulp" can be decided exactly, with no rounding in the test itself.
 */

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

function det3(m: bigint[]): bigint {
  const [a, b, c, d, e, f, g, h, i] = m as [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];
  return mul(a, mul(e, i) - mul(f, h)) - mul(b, mul(d, i) - mul(f, g)) + mul(c, mul(d, h) - mul(e, g));
}

/**
 * The stationary point of the three-nonzero face near `start` (magnitudes, f64), for magnitudes `a`
 * and λ: Newton's method in fixed point, with Cramer's rule for the 3×3 steps, until the step is
 * below 2^-300.
 */
export function threeNonzeroRoot(a: readonly [number, number, number], lambda: number, start: readonly [number, number, number]): bigint[] {
  const target = a.map(toFixed);
  const l = toFixed(lambda);
  const w = start.map(toFixed);
  for (let iteration = 0; iteration < 60; iteration++) {
    const [w1, w2, w3] = w as [bigint, bigint, bigint];
    const g = [w1 - target[0]! + mul(l, mul(w2, w3)), w2 - target[1]! + mul(l, mul(w1, w3)), w3 - target[2]! + mul(l, mul(w1, w2))];
    const jacobian = [ONE, mul(l, w3), mul(l, w2), mul(l, w3), ONE, mul(l, w1), mul(l, w2), mul(l, w1), ONE];
    const d = det3(jacobian);
    let largest = 0n;
    for (let c = 0; c < 3; c++) {
      const replaced = jacobian.slice();
      for (let r = 0; r < 3; r++) replaced[3 * r + c] = g[r]!;
      const step = div(det3(replaced), d);
      w[c] = w[c]! - step;
      if (abs(step) > largest) largest = abs(step);
    }
    if (largest < 1n << (FRACTION_BITS - 300n)) return w;
  }
  throw new Error('threeNonzeroRoot: Newton did not converge (start too far from a root)');
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
