/**
 * Dense kernels of the layer pruner, in plain TypeScript with f64 accumulation.
 *
 * H is symmetric, so (w_r·H)_j = Σ_k w_rk·H_jk is a dot product of two contiguous rows: blocks of
 * 4 rows of W by 4 rows of H keep 16 sums in registers and load 8 values per 16 multiply-adds.
 * Rows that are mostly zero (a pruned iterate: 50% zeros) instead gather their nonzeros.
 */

/** Below this fraction of nonzeros a row's nonzeros are gathered (measured crossover ≈ 0.6). */
const GATHER_DENSITY = 0.6;
/** Rows of W that share each panel of H, and rows of H per panel (64 × n f64: in L2 for n ≈ 1024). */
const ROW_CHUNK = 64;
const PANEL = 64;

/**
 * out row (r − rowStart + outRow) = w_r·H for rows r in [rowStart, rowEnd) of w (rows × n, f32);
 * H is n × n, symmetric, f64; n is a multiple of 4. Each panel of H rows is used by a chunk of W
 * rows while it is in cache.
 */
export function symmetricProductRows(
  w: Float32Array,
  h: Float64Array,
  n: number,
  rowStart: number,
  rowEnd: number,
  out: Float64Array,
  outRow = rowStart,
): void {
  const index = new Int32Array(ROW_CHUNK * n);
  const value = new Float64Array(ROW_CHUNK * n);
  const count = new Int32Array(ROW_CHUNK);
  const dense = new Uint8Array(ROW_CHUNK);
  for (let c = rowStart; c < rowEnd; c += ROW_CHUNK) {
    const chunkEnd = Math.min(rowEnd, c + ROW_CHUNK);
    // Blocks of 4 dense rows take the register-blocked kernel; the other rows list their nonzeros.
    for (let r = c; r < chunkEnd; r += 4) {
      const q = r - c;
      dense[q] = r + 4 <= chunkEnd && nonzeros(w, r * n, 4 * n) >= GATHER_DENSITY * 4 * n ? 1 : 0;
      if (dense[q]) continue;
      for (let t = r; t < Math.min(chunkEnd, r + 4); t++) {
        count[t - c] = listNonzeros(w, t * n, n, index, value, (t - c) * n);
      }
    }
    for (let j0 = 0; j0 < n; j0 += PANEL) {
      const j1 = Math.min(n, j0 + PANEL);
      for (let r = c; r < chunkEnd; r += 4) {
        const o = (r - rowStart + outRow) * n;
        if (dense[r - c]) {
          denseBlock4(w, h, n, r * n, j0, j1, out, o);
          continue;
        }
        for (let t = r; t < Math.min(chunkEnd, r + 4); t++) {
          const q = t - c;
          gatheredRow(h, n, index, value, q * n, count[q] as number, j0, j1, out, o + (t - r) * n);
        }
      }
    }
  }
}

/** Writes the nonzeros of w[a .. a+n) to index/value from `at`; returns how many. */
function listNonzeros(w: Float32Array, a: number, n: number, index: Int32Array, value: Float64Array, at: number): number {
  let m = 0;
  for (let k = 0; k < n; k++) {
    const x = w[a + k] as number;
    if (x !== 0) {
      index[at + m] = k;
      value[at + m++] = x;
    }
  }
  return m;
}

function nonzeros(w: Float32Array, start: number, length: number): number {
  let count = 0;
  for (let i = start; i < start + length; i++) if (w[i] !== 0) count++;
  return count;
}

/** Four rows of w starting at `a` times columns [j0, j1) of H into four rows of out starting at `o`. */
function denseBlock4(
  w: Float32Array,
  h: Float64Array,
  n: number,
  a: number,
  j0: number,
  j1: number,
  out: Float64Array,
  o: number,
): void {
  const a1 = a + n;
  const a2 = a1 + n;
  const a3 = a2 + n;
  for (let j = j0; j < j1; j += 4) {
    const b0 = j * n;
    const b1 = b0 + n;
    const b2 = b1 + n;
    const b3 = b2 + n;
    let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
    let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
    for (let k = 0; k < n; k++) {
      const x0 = w[a + k] as number;
      const x1 = w[a1 + k] as number;
      const x2 = w[a2 + k] as number;
      const x3 = w[a3 + k] as number;
      const y0 = h[b0 + k] as number;
      const y1 = h[b1 + k] as number;
      const y2 = h[b2 + k] as number;
      const y3 = h[b3 + k] as number;
      s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
      s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
      s20 += x2 * y0; s21 += x2 * y1; s22 += x2 * y2; s23 += x2 * y3;
      s30 += x3 * y0; s31 += x3 * y1; s32 += x3 * y2; s33 += x3 * y3;
    }
    const o0 = o + j;
    const o1 = o0 + n;
    const o2 = o1 + n;
    const o3 = o2 + n;
    out[o0] = s00; out[o0 + 1] = s01; out[o0 + 2] = s02; out[o0 + 3] = s03;
    out[o1] = s10; out[o1 + 1] = s11; out[o1 + 2] = s12; out[o1 + 3] = s13;
    out[o2] = s20; out[o2 + 1] = s21; out[o2 + 2] = s22; out[o2 + 3] = s23;
    out[o3] = s30; out[o3 + 1] = s31; out[o3 + 2] = s32; out[o3 + 3] = s33;
  }
}

/**
 * Columns [j0, j1) of (one row's listed nonzeros)·H into out from `o`: eight rows of H per pass over
 * the list (the index and value loads are shared by eight products), a last pass of four if needed.
 */
function gatheredRow(
  h: Float64Array,
  n: number,
  index: Int32Array,
  value: Float64Array,
  at: number,
  m: number,
  j0: number,
  j1: number,
  out: Float64Array,
  o: number,
): void {
  let j = j0;
  for (; j + 8 <= j1; j += 8) {
    const b0 = j * n;
    const b1 = b0 + n;
    const b2 = b1 + n;
    const b3 = b2 + n;
    const b4 = b3 + n;
    const b5 = b4 + n;
    const b6 = b5 + n;
    const b7 = b6 + n;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    for (let q = at; q < at + m; q++) {
      const k = index[q] as number;
      const x = value[q] as number;
      s0 += x * (h[b0 + k] as number);
      s1 += x * (h[b1 + k] as number);
      s2 += x * (h[b2 + k] as number);
      s3 += x * (h[b3 + k] as number);
      s4 += x * (h[b4 + k] as number);
      s5 += x * (h[b5 + k] as number);
      s6 += x * (h[b6 + k] as number);
      s7 += x * (h[b7 + k] as number);
    }
    const c = o + j;
    out[c] = s0; out[c + 1] = s1; out[c + 2] = s2; out[c + 3] = s3;
    out[c + 4] = s4; out[c + 5] = s5; out[c + 6] = s6; out[c + 7] = s7;
  }
  if (j < j1) {
    const b0 = j * n;
    const b1 = b0 + n;
    const b2 = b1 + n;
    const b3 = b2 + n;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let q = at; q < at + m; q++) {
      const k = index[q] as number;
      const x = value[q] as number;
      s0 += x * (h[b0 + k] as number);
      s1 += x * (h[b1 + k] as number);
      s2 += x * (h[b2 + k] as number);
      s3 += x * (h[b3 + k] as number);
    }
    const c = o + j;
    out[c] = s0; out[c + 1] = s1; out[c + 2] = s2; out[c + 3] = s3;
  }
}
