/**
 * Solves A·x = b for symmetric positive definite A (k × k row-major, k a multiple of 4; only the lower
 * triangle is read, and it is overwritten by the Cholesky factor L); undefined when A is not positive
 * definite.
 *
 * Left-looking by columns of 4: every 4×4 block of L below the diagonal is A's block minus a sum of
 * dot products of two contiguous row stretches of L, kept as 16 sums in registers (8 loads per 16
 * multiply-adds), then finished by the 4×4 diagonal factor.
 */
export function choleskySolve4(a: Float64Array, k: number, b: Float64Array): Float64Array | undefined {
  for (let j = 0; j < k; j += 4) {
    if (!factorDiagonalBlock(a, k, j)) return undefined;
    for (let i = j + 4; i < k; i += 4) solveBlockBelow(a, k, i, j);
  }
  const x = Float64Array.from(b);
  // L·y = b (rows of L), then Lᵀ·x = y (rows of L again, subtracting each solved x_i at once).
  for (let i = 0; i < k; i++) {
    let s = x[i] as number;
    const row = i * k;
    for (let m = 0; m < i; m++) s -= (a[row + m] as number) * (x[m] as number);
    x[i] = s / (a[row + i] as number);
  }
  for (let i = k - 1; i >= 0; i--) {
    const row = i * k;
    const xi = (x[i] as number) / (a[row + i] as number);
    x[i] = xi;
    for (let m = 0; m < i; m++) x[m] = (x[m] as number) - (a[row + m] as number) * xi;
  }
  return x;
}

/**
 * S[p][q] = A[i+p][j+q] − Σ_{m<j} L[i+p][m]·L[j+q][m] for p, q < 4, into `s` (row-major 4×4).
 * Row i+p of L up to column j is final once the columns before j are done.
 */
function reducedBlock(a: Float64Array, k: number, i: number, j: number, s: Float64Array): void {
  const a0 = i * k;
  const a1 = a0 + k;
  const a2 = a1 + k;
  const a3 = a2 + k;
  const b0 = j * k;
  const b1 = b0 + k;
  const b2 = b1 + k;
  const b3 = b2 + k;
  let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
  let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
  for (let m = 0; m < j; m++) {
    const p0 = a[a0 + m] as number;
    const p1 = a[a1 + m] as number;
    const p2 = a[a2 + m] as number;
    const p3 = a[a3 + m] as number;
    const q0 = a[b0 + m] as number;
    const q1 = a[b1 + m] as number;
    const q2 = a[b2 + m] as number;
    const q3 = a[b3 + m] as number;
    s00 += p0 * q0; s01 += p0 * q1; s02 += p0 * q2; s03 += p0 * q3;
    s10 += p1 * q0; s11 += p1 * q1; s12 += p1 * q2; s13 += p1 * q3;
    s20 += p2 * q0; s21 += p2 * q1; s22 += p2 * q2; s23 += p2 * q3;
    s30 += p3 * q0; s31 += p3 * q1; s32 += p3 * q2; s33 += p3 * q3;
  }
  s[0] = (a[a0 + j] as number) - s00; s[1] = (a[a0 + j + 1] as number) - s01;
  s[2] = (a[a0 + j + 2] as number) - s02; s[3] = (a[a0 + j + 3] as number) - s03;
  s[4] = (a[a1 + j] as number) - s10; s[5] = (a[a1 + j + 1] as number) - s11;
  s[6] = (a[a1 + j + 2] as number) - s12; s[7] = (a[a1 + j + 3] as number) - s13;
  s[8] = (a[a2 + j] as number) - s20; s[9] = (a[a2 + j + 1] as number) - s21;
  s[10] = (a[a2 + j + 2] as number) - s22; s[11] = (a[a2 + j + 3] as number) - s23;
  s[12] = (a[a3 + j] as number) - s30; s[13] = (a[a3 + j + 1] as number) - s31;
  s[14] = (a[a3 + j + 2] as number) - s32; s[15] = (a[a3 + j + 3] as number) - s33;
}

const block = new Float64Array(16);

/** L's diagonal block at (j, j) from the reduced block; false when a pivot is not positive. */
function factorDiagonalBlock(a: Float64Array, k: number, j: number): boolean {
  reducedBlock(a, k, j, j, block);
  for (let p = 0; p < 4; p++) {
    const row = (j + p) * k + j;
    for (let q = 0; q <= p; q++) {
      let s = block[4 * p + q] as number;
      for (let m = 0; m < q; m++) s -= (a[row + m] as number) * (a[(j + q) * k + j + m] as number);
      if (q < p) {
        a[row + q] = s / (a[(j + q) * k + j + q] as number);
      } else {
        if (!(s > 0)) return false;
        a[row + q] = Math.sqrt(s);
      }
    }
  }
  return true;
}

/** L's block at (i, j), i > j: the reduced block times L_jj⁻ᵀ (forward substitution per row). */
function solveBlockBelow(a: Float64Array, k: number, i: number, j: number): void {
  reducedBlock(a, k, i, j, block);
  for (let p = 0; p < 4; p++) {
    const row = (i + p) * k + j;
    for (let q = 0; q < 4; q++) {
      const diag = (j + q) * k + j;
      let s = block[4 * p + q] as number;
      for (let m = 0; m < q; m++) s -= (a[row + m] as number) * (a[diag + m] as number);
      a[row + q] = s / (a[diag + q] as number);
    }
  }
}
