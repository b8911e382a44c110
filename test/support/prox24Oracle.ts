/**
 * An oracle for the 2:4 proximal operator, independent of the solver, for groups of any dynamic
 * range: candidates by support and an exact objective comparison.
 *
 * The objective F(w) = ½‖w − z‖² + λ·Σ_{i<j<k}|w_i w_j w_k| is evaluated exactly in BigInt: every
 * f32 is an integer multiple of 2^−149 and every f64 λ of 2^−1074, so 2·F·2^1521 is an integer. No
 * rounding can hide a difference of 1e-50 next to a value of 1e4 (issue 10 #13).
 *
 * Candidates (all rounded to f32, as the kernels return them): z itself, the top two, and for each
 * support of three or four entries the minimiser on that face by coordinate descent (each step the
 * exact minimiser in one coordinate, w_i = max(b_i − μ·c_i, 0), which has no cancellation), from b
 * and from b/2, in coordinates scaled by max|z|. A prox result must be within the box |w_i| ≤ |z_i|
 * with the signs of z (moving an entry towards z_i lowers both terms) and no worse than any candidate.
 */

const F32_UNIT = 149;
const F64_UNIT = 1074;

/** x·2^149 as a BigInt, exact for every f32 x. */
function f32Units(x: number): bigint {
  if (Math.fround(x) !== x) throw new Error(`${x} is not an f32`);
  return BigInt(x * 2 ** F32_UNIT);
}

/** λ·2^1074 as a BigInt, exact for every finite f64 λ ≥ 0 (read from its bits). */
function f64Units(x: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const exponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  return exponent === 0 ? fraction : (fraction | (1n << 52n)) << BigInt(exponent - 1);
}

/** 2·F(w)·2^1521 for one group: an exact integer. */
export function exactObjective(w: ArrayLike<number>, z: ArrayLike<number>, lambda: number): bigint {
  const W = Array.from({ length: 4 }, (_, i) => f32Units(Math.abs(w[i] as number)));
  let quadratic = 0n;
  for (let i = 0; i < 4; i++) {
    const d = f32Units(w[i] as number) - f32Units(z[i] as number);
    quadratic += d * d;
  }
  const [a, b, c, d] = W as [bigint, bigint, bigint, bigint];
  const e3 = a * b * (c + d) + c * d * (a + b);
  // 2·½Σd²·2^1521 = Σ(D·2^−149)²·2^1521 = ΣD²·2^(1521 − 298), and 1521 − 298 = 1074 + 149.
  return (quadratic << BigInt(F64_UNIT + F32_UNIT)) + 2n * f64Units(lambda) * e3;
}

/** The face minimiser by coordinate descent on support `support` (others 0), scaled coordinates. */
export function faceDescent(b: number[], mu: number, support: number[], start: number): number[] {
  const w = b.map((x, i) => (support.includes(i) ? start * x : 0));
  for (let sweep = 0; sweep < 20_000; sweep++) {
    let moved = false;
    for (const i of support) {
      let pairs = 0;
      for (let j = 0; j < 4; j++) for (let k = j + 1; k < 4; k++) if (j !== i && k !== i) pairs += (w[j] as number) * (w[k] as number);
      const next = Math.max((b[i] as number) - mu * pairs, 0);
      if (Math.abs(next - (w[i] as number)) > 1e-17 * Math.abs(next)) moved = true;
      w[i] = next;
    }
    if (!moved) break;
  }
  return w;
}

const FACES = [
  [0, 1, 2],
  [0, 1, 3],
  [0, 2, 3],
  [1, 2, 3],
  [0, 1, 2, 3],
];

/** The candidates for group z (f32 values with the signs of z). */
export function proxCandidates(z: ArrayLike<number>, lambda: number): number[][] {
  const a = Array.from({ length: 4 }, (_, i) => Math.abs(z[i] as number));
  const scale = Math.max(...a);
  const signed = (w: number[]) => w.map((x, i) => Math.fround((z[i] as number) < 0 ? -x : x));
  const order = [0, 1, 2, 3].sort((i, j) => (a[j] as number) - (a[i] as number) || i - j);
  const topTwo = a.map((x, i) => (i === order[0] || i === order[1] ? x : 0));
  const candidates = [signed(a), signed(topTwo)];
  if (scale === 0) return candidates;
  const b = a.map((x) => x / scale);
  const mu = lambda * scale;
  for (const face of FACES) {
    for (const start of [1, 0.5]) candidates.push(signed(faceDescent(b, mu, face, start).map((x) => x * scale)));
  }
  return candidates;
}

/** Why `w` cannot be the prox of z (outside the box, or beaten by a candidate), or undefined. */
export function proxDefect(w: ArrayLike<number>, z: ArrayLike<number>, lambda: number): string | undefined {
  for (let i = 0; i < 4; i++) {
    const wi = w[i] as number;
    const zi = z[i] as number;
    if (Math.abs(wi) > Math.abs(zi) || wi * zi < 0) return `w[${i}] = ${wi} is outside [0, z[${i}] = ${zi}]`;
  }
  const value = exactObjective(w, z, lambda);
  for (const candidate of proxCandidates(z, lambda)) {
    if (exactObjective(candidate, z, lambda) < value) return `beaten by [${candidate.join(', ')}]`;
  }
  return undefined;
}
