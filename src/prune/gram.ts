/** Samples per pass: 8 rows of X stay in L1 and all n rows of the pass in L2 (n ≈ 1024, f32). */
const SAMPLE_BLOCK = 256;

/**
 * H = X·Xᵀ (n × n, f64) for X = n × s (f32, row-major, n a multiple of 4): only the blocks on and above the diagonal
 * are computed (4 rows by 4 rows, 16 sums in registers), then mirrored. f32 products are exact in
 * f64, so H differs from a plain f64 loop by the order of the sums only.
 */
export function gramMatrix(x: Float32Array, n: number, s: number): Float64Array {
  const h = new Float64Array(n * n);
  for (let k0 = 0; k0 < s; k0 += SAMPLE_BLOCK) {
    const k1 = Math.min(s, k0 + SAMPLE_BLOCK);
    for (let i = 0; i < n; i += 4) {
      for (let j = i; j < n; j += 4) addBlock4(x, s, i, j, k0, k1, h, n);
    }
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) h[j * n + i] = h[i * n + j] as number;
  }
  return h;
}

/** h[i..i+3][j..j+3] += Σ_{k0 ≤ k < k1} x_{i+a,k}·x_{j+b,k}. */
function addBlock4(
  x: Float32Array,
  s: number,
  i: number,
  j: number,
  k0: number,
  k1: number,
  h: Float64Array,
  n: number,
): void {
  const a0 = i * s;
  const a1 = a0 + s;
  const a2 = a1 + s;
  const a3 = a2 + s;
  const b0 = j * s;
  const b1 = b0 + s;
  const b2 = b1 + s;
  const b3 = b2 + s;
  let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
  let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
  for (let k = k0; k < k1; k++) {
    const p0 = x[a0 + k] as number;
    const p1 = x[a1 + k] as number;
    const p2 = x[a2 + k] as number;
    const p3 = x[a3 + k] as number;
    const q0 = x[b0 + k] as number;
    const q1 = x[b1 + k] as number;
    const q2 = x[b2 + k] as number;
    const q3 = x[b3 + k] as number;
    s00 += p0 * q0; s01 += p0 * q1; s02 += p0 * q2; s03 += p0 * q3;
    s10 += p1 * q0; s11 += p1 * q1; s12 += p1 * q2; s13 += p1 * q3;
    s20 += p2 * q0; s21 += p2 * q1; s22 += p2 * q2; s23 += p2 * q3;
    s30 += p3 * q0; s31 += p3 * q1; s32 += p3 * q2; s33 += p3 * q3;
  }
  const o0 = i * n + j;
  const o1 = o0 + n;
  const o2 = o1 + n;
  const o3 = o2 + n;
  h[o0] += s00; h[o0 + 1] += s01; h[o0 + 2] += s02; h[o0 + 3] += s03;
  h[o1] += s10; h[o1 + 1] += s11; h[o1 + 2] += s12; h[o1 + 3] += s13;
  h[o2] += s20; h[o2 + 1] += s21; h[o2 + 2] += s22; h[o2 + 3] += s23;
  h[o3] += s30; h[o3 + 1] += s31; h[o3 + 2] += s32; h[o3 + 3] += s33;
}
